package dev.vera4j.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The committed kernel image is up to date with {@code src/main/cuda}: every source file's hash equals the one
 * recorded when the fatbin was built (so editing a kernel without running build.sh fails the build, with or without
 * nvcc), the fatbin is the one recorded, it holds SASS for sm_90 and PTX, and every kernel the Java side looks up is
 * in it. With nvcc on the PATH (CI has it) the sources are rebuilt: byte for byte the committed image when the nvcc
 * version is the recorded one (its output is reproducible: same sources, flags and version give the same bytes,
 * wherever the checkout is), otherwise at least they compile for sm_90.
 */
class KernelImageTest {
    private static final Path SOURCES = Path.of("src/main/cuda");
    private static final String REBUILD = "run cuda/src/main/cuda/build.sh and commit its two outputs";

    @TempDir Path tmp;

    @Test
    void recordMatchesTheSources() throws IOException {
        KernelImage.Record record = KernelImage.load().record();
        Map<String, String> actual = new TreeMap<>();
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path f : files.sorted().toList()) actual.put(f.getFileName().toString(), sha256(Files.readAllBytes(f)));
        }
        for (Map.Entry<String, String> e : actual.entrySet()) {
            assertEquals(record.sources().get(e.getKey()), e.getValue(),
                    "src/main/cuda/" + e.getKey() + " changed (or is new) since kernels.fatbin was built: " + REBUILD);
        }
        assertEquals(actual.keySet(), new TreeMap<>(record.sources()).keySet(), "a source was removed since kernels.fatbin was built: " + REBUILD);
    }

    @Test
    void fatbinIsTheRecordedOne() {
        KernelImage image = KernelImage.load();
        assertEquals(image.record().fatbinSha256(), sha256(image.bytes()), "kernels.fatbin is not the file build.sh recorded: " + REBUILD);
    }

    @Test
    void fatbinHoldsSassForSm90AndPtx() {
        KernelImage image = KernelImage.load();
        assertEquals(List.of(new KernelImage.Entry(false, 90), new KernelImage.Entry(true, 75)), image.entries(), image.describe());
        assertTrue(image.runsOn(9, 0), "H100/H200: SASS");
        assertTrue(image.runsOn(8, 9), "Ada: the driver compiles the PTX");
        assertTrue(image.runsOn(7, 5), "Turing: PTX");
        assertFalse(image.runsOn(7, 0), "Volta: older than the PTX");
        assertFalse(image.runsOn(6, 1));
        assertEquals("SASS sm_90, PTX compute_75 (nvcc " + image.record().nvcc() + ")", image.describe());
    }

    @Test
    void everyKernelTheJavaSideUsesIsInTheImage() {
        byte[] image = KernelImage.load().bytes();
        List<String> names = new ArrayList<>();
        new CudaKernels(null, null, name -> {
            names.add(name);
            return new CudaFunction(name, MemorySegment.NULL);
        }).close();
        assertTrue(names.size() >= 30, names.toString());
        for (String name : names) {
            // the SASS entry is an ELF whose string table names each kernel
            byte[] needle = ("\0" + name + "\0").getBytes(StandardCharsets.US_ASCII);
            assertTrue(indexOf(image, needle) >= 0, "kernel " + name + " is not in kernels.fatbin");
        }
    }

    @Test
    void entriesRejectOtherFiles() {
        assertThrows(IllegalArgumentException.class, () -> KernelImage.entries("not a fatbin at all".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void nvccRebuildsTheImage() throws Exception {
        assumeTrue(onPath("nvcc"), "nvcc is not on the PATH: the image is checked against the recorded source hashes only");
        Process p = new ProcessBuilder("bash", SOURCES.resolve("build.sh").toString(), tmp.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "nvcc took more than 10 minutes");
        assertEquals(0, p.exitValue(), "the kernels do not compile:\n" + log);
        byte[] rebuilt = Files.readAllBytes(tmp.resolve(KernelImage.FATBIN));
        KernelImage.Record record = KernelImage.Record.parse(Files.readString(tmp.resolve(KernelImage.RECORD)));
        KernelImage committed = KernelImage.load();
        assertEquals(committed.entries(), KernelImage.entries(rebuilt));
        assertEquals(committed.record().sources(), record.sources(), "the sources differ from the record: " + REBUILD);
        if (record.nvcc().equals(committed.record().nvcc())) {
            assertEquals(committed.record().fatbinSha256(), sha256(rebuilt), "nvcc " + record.nvcc()
                    + " builds a different kernels.fatbin from the same sources: " + REBUILD);
        }
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(java.io.File.pathSeparator)) if (Files.isExecutable(Path.of(dir, tool))) return true;
        return false;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
