package dev.vera4j.engine.backend;

import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.ModelConfig;

import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Makes {@link Backend}s for one kind of device; found with {@link java.util.ServiceLoader}, so a module above the
 * engine (such as {@code cuda}) plugs in by listing its provider in
 * {@code META-INF/services/dev.vera4j.engine.backend.BackendProvider} (and, for the module path, in its
 * {@code module-info}'s {@code provides}), and the engine never depends on it.
 *
 * <pre>{@code
 * public final class CudaProvider implements BackendProvider {
 *     public String kind() { return "cuda"; }
 *     public Backend open(Device device, ModelConfig config, ModelWeights weights) {
 *         return CudaBackend.upload(device.index(), config, weights);   // weights: views of the mapped GGUF file
 *     }
 * }
 * }</pre>
 *
 * {@code Model.load} finds the provider with {@link #of}:
 * <pre>{@code
 * Backend gpu = BackendProvider.of("cuda").open(Device.parse("cuda:0"), config, weights);
 * }</pre>
 */
public interface BackendProvider {
    /** The device kind it serves, as written in {@link Device#kind()}, e.g. {@code cuda}. */
    String kind();

    /**
     * Loads a model onto {@code device}: copies (or converts) the weights into device memory.
     *
     * @param weights the model's tensors as views of the mapped GGUF file, checked against {@code config}; the
     *                mapping stays open until the backend is closed
     * @throws DeviceException with a one-line message if the device cannot be used (no driver, no such device, too
     *                         little memory, a tensor type it cannot run)
     */
    Backend open(Device device, ModelConfig config, ModelWeights weights);

    /**
     * The provider of device kind {@code kind} on the class path or the module path.
     *
     * @throws DeviceException "no CUDA backend in this build" (for kind {@code cuda}) when there is none
     */
    static BackendProvider of(String kind) {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.kind().equals(kind)) return p;
        }
        throw new DeviceException("no " + kind.toUpperCase(Locale.ROOT) + " backend in this build");
    }
}
