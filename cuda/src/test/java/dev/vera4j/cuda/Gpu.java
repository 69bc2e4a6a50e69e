package dev.vera4j.cuda;

import org.junit.jupiter.api.Assumptions;

/**
 * The device the {@code gpu}-tagged tests run on: GPU 0, or with {@code -Dvera4j.cuda.emulate=true} the CPU emulation
 * of the driver ({@link Emulator}). Without either the test is skipped, saying why.
 *
 * <pre>{@code
 * try (CudaDevice gpu = Gpu.open()) { ... }
 * }</pre>
 */
final class Gpu {
    private Gpu() {}

    static boolean emulated() { return Boolean.getBoolean("vera4j.cuda.emulate"); }

    static CudaDevice open() {
        if (emulated() && System.getProperty(CudaDriver.LIBRARY_PROPERTY) == null) {
            System.setProperty(CudaDriver.LIBRARY_PROPERTY, Emulator.library().toString());
        }
        try {
            return CudaDevice.open(0);
        } catch (CudaUnavailableException e) {
            Assumptions.abort("no CUDA device: " + e.getMessage());
            throw e;
        }
    }
}
