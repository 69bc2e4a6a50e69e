package dev.vera4j.cuda;

import dev.vera4j.engine.api.LoadOptions;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.backend.BackendProvider;
import dev.vera4j.engine.backend.DeviceException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Without an NVIDIA driver (CI, this build machine) every entry point fails with one clear line, and the listing
 * still shows the CPU. Also checks the binding's lookup against a library name that cannot exist, which runs
 * everywhere.
 */
class NoDriverTest {
    /** Whether this machine has the driver library where the dynamic linker looks (then the GPU tests run instead). */
    static boolean driverPresent() {
        try {
            CudaDriver.get();
            return true;
        } catch (CudaUnavailableException e) {
            return !e.getMessage().contains("libcuda.so.1 is not on the library path");
        }
    }

    @Test
    void missingLibraryIsOneClearLine() {
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> CudaDriver.load("libvera4j-no-such-cuda.so.1"));
        assertEquals("no NVIDIA driver found (libvera4j-no-such-cuda.so.1 is not on the library path)", e.getMessage());
    }

    @Test
    void withoutTheDriverOpeningAGpuSaysSo() {
        assumeFalse(driverPresent() || Files.exists(Path.of("/dev/nvidiactl")), "this machine has an NVIDIA driver");
        for (Runnable r : new Runnable[] {() -> CudaDevice.open(0), CudaDevice::list, () -> CudaDevice.open(3)}) {
            CudaUnavailableException e = assertThrows(CudaUnavailableException.class, r::run);
            assertEquals("no NVIDIA driver found (libcuda.so.1 is not on the library path)", e.getMessage());
        }
    }

    /** The engine finds the CUDA backend (no more "no CUDA backend in this build"), which names the missing driver. */
    @Test
    void withoutTheDriverLoadingOnCudaSaysSo() {
        assumeFalse(driverPresent() || Files.exists(Path.of("/dev/nvidiactl")), "this machine has an NVIDIA driver");
        assertInstanceOf(CudaBackendProvider.class, BackendProvider.of("cuda"));
        Path stories = Path.of(System.getProperty("vera4j.shared", "../shared"), "models/stories260K.gguf");
        for (String device : new String[] {"cuda", "cuda:1"}) {
            DeviceException e = assertThrows(DeviceException.class,
                    () -> Model.load(stories, LoadOptions.builder().device(device).threads(1).build()));
            assertEquals("no NVIDIA driver found (libcuda.so.1 is not on the library path)", e.getMessage());
        }
    }

    @Test
    void theListingShowsTheCpuAndWhyThereIsNoGpu() {
        Devices.Listing l = Devices.list();
        String cpu = l.lines().getFirst();
        assertTrue(cpu.startsWith("cpu     "), cpu);
        assertTrue(cpu.matches(".*\\d+ threads?, \\d+-bit SIMD \\(\\d+ float lanes\\)"), cpu);
        assertEquals(Runtime.getRuntime().availableProcessors(), l.cpu().threads());
        if (l.gpus().isEmpty()) {
            assertEquals(2, l.lines().size(), l.lines().toString());
            assertTrue(l.lines().get(1).startsWith("cuda    none: "), l.lines().get(1));
            assertNotNull(l.noGpu());
        }
    }
}
