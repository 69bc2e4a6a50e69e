package dev.vera4j.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernels as built by {@code cuda/src/main/cuda/build.sh} and packaged in the jar: {@code kernels.fatbin} (SASS
 * for sm_90 and PTX for compute_75 in one fatbin) and {@code kernels.sources}, the record of what it was built from.
 * The fatbin's entries are read from its headers, so which GPUs it can run on is known without a GPU.
 *
 * <pre>{@code
 * KernelImage image = KernelImage.load();
 * image.describe();              // SASS sm_90, PTX compute_75 (nvcc 13.0.88)
 * image.runsOn(8, 9);            // true: the driver compiles the PTX for an sm_89 GPU
 * }</pre>
 */
public final class KernelImage {
    public static final String FATBIN = "kernels.fatbin", RECORD = "kernels.sources";
    private static final int FATBIN_MAGIC = 0xBA55ED50;
    private static final int KIND_PTX = 1, KIND_SASS = 2;

    /** One compiled form in the fatbin: SASS (machine code for one architecture) or PTX (compiled by the driver). */
    public record Entry(boolean ptx, int arch) {
        @Override
        public String toString() { return ptx ? "PTX compute_" + arch : "SASS sm_" + arch; }
    }

    /**
     * {@code kernels.sources}: the nvcc version, the fatbin's SHA-256 and each source file's SHA-256.
     *
     * @param sources file name to SHA-256 (hex), in the record's order
     */
    public record Record(String nvcc, String fatbinSha256, Map<String, String> sources) {
        /** Parses the text build.sh writes. */
        public static Record parse(String text) {
            String nvcc = null, fatbin = null;
            Map<String, String> sources = new LinkedHashMap<>();
            for (String line : text.split("\n")) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split(" +");
                switch (f[0]) {
                    case "nvcc" -> nvcc = f[1];
                    case "fatbin" -> fatbin = f[1];
                    case "source" -> sources.put(f[2], f[1]);
                    default -> throw new IllegalArgumentException("unexpected line in " + RECORD + ": " + line);
                }
            }
            if (nvcc == null || fatbin == null || sources.isEmpty()) throw new IllegalArgumentException(RECORD + " is incomplete");
            return new Record(nvcc, fatbin, sources);
        }
    }

    private static final class Packaged {
        static final KernelImage IMAGE = new KernelImage(resource(FATBIN), Record.parse(new String(resource(RECORD), StandardCharsets.UTF_8)));
    }

    private final byte[] fatbin;
    private final Record record;
    private final List<Entry> entries;

    public KernelImage(byte[] fatbin, Record record) {
        this.fatbin = fatbin;
        this.record = record;
        this.entries = entries(fatbin);
    }

    /** The image packaged with this class. */
    public static KernelImage load() { return Packaged.IMAGE; }

    private static byte[] resource(String name) {
        try (InputStream in = KernelImage.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("the jar lacks dev/vera4j/cuda/" + name + " (built by cuda/src/main/cuda/build.sh)");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The entries of a fatbin: a 16-byte header (magic {@code 0xBA55ED50}, version, header size, payload size), then
     * per entry a header with its kind at byte 0 (1 PTX, 2 ELF/SASS), its header size at 4, its payload size at 8 and
     * its architecture at 28.
     */
    public static List<Entry> entries(byte[] fatbin) {
        ByteBuffer b = ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN);
        if (fatbin.length < 16 || b.getInt(0) != FATBIN_MAGIC) throw new IllegalArgumentException("not a fatbin (magic " + (fatbin.length < 4 ? "missing" : Integer.toHexString(b.getInt(0))) + ")");
        int header = Short.toUnsignedInt(b.getShort(6));
        long end = header + b.getLong(8);
        List<Entry> out = new ArrayList<>();
        for (long off = header; off + 32 <= end && off + 32 <= fatbin.length; ) {
            int at = (int) off;
            int kind = Short.toUnsignedInt(b.getShort(at)), size = b.getInt(at + 4);
            long payload = b.getLong(at + 8);
            if (kind == KIND_PTX || kind == KIND_SASS) out.add(new Entry(kind == KIND_PTX, b.getInt(at + 28)));
            if (size <= 0) break;
            off += size + payload;
        }
        return List.copyOf(out);
    }

    public byte[] bytes() { return fatbin.clone(); }

    int size() { return fatbin.length; }

    /** Copies the image into {@code dst} (native memory for {@code cuModuleLoadData}). */
    void copyTo(java.lang.foreign.MemorySegment dst) { dst.copyFrom(java.lang.foreign.MemorySegment.ofArray(fatbin)); }

    public Record record() { return record; }

    public List<Entry> entries() { return entries; }

    /** Whether a GPU of compute capability {@code major.minor} can run the image: same-major SASS at or below it, or PTX at or below it. */
    public boolean runsOn(int major, int minor) {
        int cc = 10 * major + minor;
        for (Entry e : entries) {
            if (e.ptx() ? e.arch() <= cc : e.arch() / 10 == major && e.arch() <= cc) return true;
        }
        return false;
    }

    /** E.g. {@code SASS sm_90, PTX compute_75 (nvcc 13.0.88)}. */
    public String describe() {
        return String.join(", ", entries.stream().map(Entry::toString).toList()) + " (nvcc " + record.nvcc() + ")";
    }
}
