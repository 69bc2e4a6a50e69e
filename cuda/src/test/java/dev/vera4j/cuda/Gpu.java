package dev.vera4j.cuda;

import org.junit.jupiter.api.Assumptions;

/**
 * The device the {@code gpu}-tagged tests run on: GPU 0, or with {@code -Dvera4j.cuda.emulate=true} the CPU emulation
 * of the driver ({@link Emulator}). Without either, every test is skipped saying why.
 *
 * <pre>{@code
 * @BeforeAll void open() { gpu = Gpu.open(); }          // null without a device
 * @BeforeEach void needsGpu() { Gpu.assume(gpu); }      // skipped, with the reason
 * }</pre>
 */
final class Gpu {
    private static String unavailable;

    private Gpu() {}

    static boolean emulated() { return Boolean.getBoolean("vera4j.cuda.emulate"); }

    /** GPU 0, or null when there is none ({@link #assume} then skips). */
    static synchronized CudaDevice open() {
        if (emulated() && System.getProperty(CudaDriver.LIBRARY_PROPERTY) == null) {
            System.setProperty(CudaDriver.LIBRARY_PROPERTY, Emulator.library().toString());
        }
        try {
            return CudaDevice.open(0);
        } catch (CudaUnavailableException e) {
            unavailable = e.getMessage();
            return null;
        }
    }

    /** Skips the calling test, with the reason, unless {@code gpu} is open. */
    static synchronized void assume(CudaDevice gpu) {
        Assumptions.assumeTrue(gpu != null, () -> "no CUDA device: " + unavailable);
    }
}
