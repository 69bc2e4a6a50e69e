package dev.vera4j.tools;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The relaunched JVM's "Using incubator modules" line is dropped; every other byte passes, however the reads split it. */
class IncubatorWarningFilterTest {
    private static final String W = "WARNING: Using incubator modules: jdk.incubator.vector\n";

    /** Copies {@code text} read {@code chunk} bytes at a time. */
    private static String filter(String text, int chunk) {
        byte[] all = text.getBytes(StandardCharsets.UTF_8);
        InputStream in = new ByteArrayInputStream(all) {
            @Override
            public synchronized int read(byte[] b, int off, int len) { return super.read(b, off, Math.min(len, chunk)); }
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IncubatorWarningFilter.copy(in, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void dropsTheWarningLineOnly() {
        String[][] cases = {
                {W + "error: no such file\n", "error: no such file\n"},
                {W, ""},
                {"loading... 1s\rloading... 2s\r" + W + "done\n", "loading... 1s\rloading... 2s\r" + W + "done\n"},   // not at a line start
                {"a\n" + W + "b\n" + W, "a\nb\n"},
                {"WARNING: Using incubator modules: jdk.incubator.vectorX\n", "WARNING: Using incubator modules: jdk.incubator.vectorX\n"},
                {"WARNING: other\n", "WARNING: other\n"},
                {"WARNING: Using incub", "WARNING: Using incub"},
                {"WWARNING: Using incubator modules: jdk.incubator.vector\n", "WWARNING: Using incubator modules: jdk.incubator.vector\n"},
                {"\nWARNING: Using incubator modules: jdk.incubator.vector\nü\n", "\nü\n"},
        };
        for (String[] c : cases) {
            for (int chunk : new int[] {1, 2, 3, 7, 8192}) assertEquals(c[1], filter(c[0], chunk), "chunks of " + chunk + ": " + c[0]);
        }
    }
}
