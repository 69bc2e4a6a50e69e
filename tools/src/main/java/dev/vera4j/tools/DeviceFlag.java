package dev.vera4j.tools;

import dev.vera4j.engine.api.LoadOptions;

/**
 * {@code --device cpu|cuda|cuda:N}, shared by the commands that load a model: turns it and the thread count into
 * {@link LoadOptions}, with the packed copies kept between runs in {@link PackCache}'s folder. A device that cannot be
 * used fails at load with one line ("no NVIDIA driver found (libcuda.so.1 is not on the library path)", "no TPU backend
 * in this build").
 *
 * <pre>{@code
 * Model.load(path, DeviceFlag.loadOptions(args, threads));
 * }</pre>
 */
final class DeviceFlag {
    /** The line of the commands' help. */
    static final String HELP = "  --device DEV           where the model runs: cpu (default), cuda or cuda:N";

    private DeviceFlag() {}

    /** @throws UsageException if {@code --device} is not a device name */
    static LoadOptions loadOptions(Args a, int threads) {
        LoadOptions.Builder b = LoadOptions.builder().threads(threads).packCache(PackCache.folder(System.getenv()));
        try {
            if (a.has("device")) b.device(a.get("device"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--device: " + e.getMessage());
        }
        return b.build();
    }
}
