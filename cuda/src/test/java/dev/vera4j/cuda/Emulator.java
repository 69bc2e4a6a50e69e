package dev.vera4j.cuda;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Builds the CPU emulation of the CUDA driver ({@code src/test/emu/libcuda_emu.cpp}, which compiles vera4j's kernels
 * as host C++) with g++, once per JVM, into {@code target/emu}. The {@code gpu-emulated} surefire execution points
 * {@code vera4j.cuda.library} at it, so the GPU tests run on machines without a GPU.
 */
final class Emulator {
    private static Path built;

    private Emulator() {}

    /** The library's path; skips the calling test (assumption) when g++ is missing or fails. */
    static synchronized Path library() {
        if (built != null) return built;
        Path out = Path.of("target/emu/libcuda-emu.so").toAbsolutePath();
        try {
            Files.createDirectories(out.getParent());
            Process p = new ProcessBuilder("g++", "-std=c++17", "-O2", "-fPIC", "-shared", "-ffp-contract=off", "-fno-fast-math",
                    "-I", "src/test/emu", "-include", "emu.h", "-o", out.toString(), "src/test/emu/libcuda_emu.cpp")
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("the CUDA emulator does not compile:\n" + log);
            }
        } catch (IOException e) {
            Assumptions.abort("no g++ to build the CUDA emulator: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException(e));
        }
        built = out;
        return out;
    }
}
