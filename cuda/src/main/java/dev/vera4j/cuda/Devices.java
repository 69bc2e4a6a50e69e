package dev.vera4j.cuda;

import dev.vera4j.simd.WorkerPool;
import jdk.incubator.vector.FloatVector;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The compute devices vera4j can run on here: the CPU as the CPU path uses it (threads, SIMD width of the Vector API)
 * and every GPU the NVIDIA driver reports, or why there is none. What {@code vera4j devices} prints.
 *
 * <pre>{@code
 * Devices.Listing l = Devices.list();
 * l.lines().forEach(System.out::println);
 * // cpu     amd64, 16 threads, 512-bit SIMD (16 float lanes)
 * // cuda:0  NVIDIA H200, compute capability 9.0, 132 SMs, 139.8 GiB, CUDA driver 13.0
 * }</pre>
 */
public final class Devices {
    private Devices() {}

    /**
     * The CPU path's view of the processor.
     *
     * @param threads  the default worker threads (one per available processor)
     * @param simdBits the Vector API's preferred vector width
     */
    public record Cpu(String arch, int threads, int simdBits) {
        public String describe() {
            return String.format(Locale.ROOT, "cpu     %s, %d thread%s, %d-bit SIMD (%d float lanes)", arch, threads, threads == 1 ? "" : "s",
                    simdBits, simdBits / 32);
        }
    }

    /**
     * @param gpus      the GPUs the driver sees (empty without a driver)
     * @param noGpu     why {@code gpus} is empty (no driver, no device), else null
     * @param kernels   the packaged kernels
     */
    public record Listing(Cpu cpu, List<DeviceInfo> gpus, String noGpu, KernelImage kernels) {
        /** One line per device, the CPU first; a GPU that cannot run the kernels says so. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            out.add(cpu.describe());
            for (DeviceInfo g : gpus) {
                out.add(g.describe() + (kernels.runsOn(g.major(), g.minor()) ? "" : "  (cannot run vera4j's kernels: " + kernels.describe() + ")"));
            }
            if (gpus.isEmpty()) out.add("cuda    none: " + noGpu);
            return out;
        }
    }

    public static Cpu cpu() {
        return new Cpu(System.getProperty("os.arch"), WorkerPool.defaultThreads(), FloatVector.SPECIES_PREFERRED.vectorBitSize());
    }

    /** Lists the devices; a missing driver or GPU, or a failing driver call, becomes {@link Listing#noGpu()}. */
    public static Listing list() {
        List<DeviceInfo> gpus = List.of();
        String why = null;
        try {
            gpus = CudaDevice.list();
            if (gpus.isEmpty()) why = "the NVIDIA driver sees no GPU";
        } catch (CudaUnavailableException | CudaException e) {   // the CPU is listed whatever the driver does
            why = e.getMessage();
        }
        return new Listing(cpu(), gpus, why, KernelImage.load());
    }
}
