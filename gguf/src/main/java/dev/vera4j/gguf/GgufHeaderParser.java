package dev.vera4j.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses a GGUF header (magic, version, metadata, tensor infos) from a mapped file and validates every tensor against
 * the data section. Every count and length is checked against the bytes left before anything is allocated, so a
 * corrupt file ends in a {@link GgufFormatException} and never in a huge allocation.
 */
final class GgufHeaderParser {
    static final int MAGIC = 0x46554747; // "GGUF" little-endian
    static final int MAX_DIMS = 4;
    static final int DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";
    private static final int MAX_NESTING = 8;

    record Header(int version, GgufMetadata metadata, List<TensorInfo> tensors, int alignment, long dataOffset) {}

    /** A tensor info as stored; {@code infoOffset} is where its entry starts, for messages. */
    record TensorInfo(String name, GgmlType type, long[] shape, long offset, long byteSize, long infoOffset) {}

    private GgufHeaderParser() {}

    static Header parse(Path file, MemorySegment seg) {
        GgufCursor in = new GgufCursor(file, seg);
        int magic = in.u32("the magic number");
        if (magic != MAGIC) {
            throw in.error(0, String.format("not a GGUF file (magic 0x%08x, expected 0x%08x \"GGUF\")", magic, MAGIC));
        }
        long versionAt = in.position();
        int version = in.u32("the version");
        if (version != 2 && version != 3) {
            throw in.error(versionAt, "unsupported GGUF version " + Integer.toUnsignedString(version) + " (supported: 2, 3)");
        }
        long countAt = in.position();
        long tensorCount = in.u64("the tensor count");
        long kvCount = in.u64("the metadata count");
        // Each metadata entry takes at least 8 (key length) + 4 (type) + 1 bytes; each tensor info at least 8 + 4 + 4 + 8.
        if (kvCount < 0 || kvCount > in.remaining() / 13) {
            throw in.error(countAt + 8, "metadata count " + Long.toUnsignedString(kvCount) + " is impossible for a file of " + seg.byteSize() + " bytes");
        }
        if (tensorCount < 0 || tensorCount > in.remaining() / 24) {
            throw in.error(countAt, "tensor count " + Long.toUnsignedString(tensorCount) + " is impossible for a file of " + seg.byteSize() + " bytes");
        }

        Map<String, GgufValue> kv = new LinkedHashMap<>();
        long alignmentAt = -1;
        for (long i = 0; i < kvCount; i++) {
            long at = in.position();
            String key = in.string("metadata key #" + i);
            long typeAt = in.position();
            int typeId = in.u32("the type of '" + key + "'");
            GgufValueType type = GgufValueType.byId(Integer.toUnsignedLong(typeId));
            if (type == null) throw in.error(typeAt, "unknown metadata value type " + Integer.toUnsignedString(typeId) + " for key '" + key + "'");
            if (key.equals(ALIGNMENT_KEY)) alignmentAt = in.position();
            GgufValue value = readValue(in, type, key, 0);
            if (kv.putIfAbsent(key, value) != null) throw in.error(at, "duplicate metadata key '" + key + "'");
        }
        GgufMetadata metadata = new GgufMetadata(kv);

        int alignment = DEFAULT_ALIGNMENT;
        GgufValue al = kv.get(ALIGNMENT_KEY);
        if (al != null) {
            if (!al.type().isInteger()) throw in.error(alignmentAt, ALIGNMENT_KEY + " is " + al.type().name().toLowerCase() + ", expected an integer");
            long a = (Long) al.value();
            if (!isValidAlignment(a)) throw in.error(alignmentAt, ALIGNMENT_KEY + " " + a + " is not a power of two between 1 and 2^30");
            alignment = (int) a;
        }

        List<TensorInfo> infos = new ArrayList<>((int) Math.min(tensorCount, 4096));
        Map<String, Boolean> names = new HashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            long at = in.position();
            String name = in.string("tensor name #" + i);
            if (names.put(name, Boolean.TRUE) != null) throw in.error(at, "duplicate tensor name '" + name + "'");
            long dimsAt = in.position();
            int nDims = in.u32("the rank of tensor '" + name + "'");
            if (nDims < 1 || nDims > MAX_DIMS) throw in.error(dimsAt, "tensor '" + name + "' has " + Integer.toUnsignedString(nDims) + " dimensions (1 to " + MAX_DIMS + " allowed)");
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                long dimAt = in.position();
                shape[d] = in.u64("a dimension of tensor '" + name + "'");
                if (shape[d] < 0) throw in.error(dimAt, "tensor '" + name + "' dimension " + d + " is " + Long.toUnsignedString(shape[d]));
                try {
                    elements = Math.multiplyExact(elements, shape[d]);
                } catch (ArithmeticException e) {
                    throw in.error(dimAt, "tensor '" + name + "' element count overflows 64 bits");
                }
            }
            long typeAt = in.position();
            int typeId = in.u32("the type of tensor '" + name + "'");
            GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
            if (type == null) throw in.error(typeAt, "tensor '" + name + "' has unknown type " + Integer.toUnsignedString(typeId));
            if (shape[0] % type.blockSize() != 0) {
                throw in.error(dimsAt, "tensor '" + name + "' rows of " + shape[0] + " values are not whole " + type + " blocks of " + type.blockSize());
            }
            long bytes;
            try {
                bytes = type.bytesFor(elements);
            } catch (ArithmeticException | IllegalArgumentException e) {
                throw in.error(dimsAt, "tensor '" + name + "' byte size overflows");
            }
            long offAt = in.position();
            long offset = in.u64("the offset of tensor '" + name + "'");
            if (offset < 0 || offset % alignment != 0) {
                throw in.error(offAt, "tensor '" + name + "' offset " + Long.toUnsignedString(offset) + " is not a multiple of the alignment " + alignment);
            }
            infos.add(new TensorInfo(name, type, shape, offset, bytes, at));
        }

        long dataOffset = alignUp(in.position(), alignment);
        long dataSize = seg.byteSize() - dataOffset;
        if (!infos.isEmpty() && dataSize < 0) {
            throw in.error(in.position(), "file ends before the data section (" + seg.byteSize() + " bytes)");
        }
        checkTensorsFit(in, infos, Math.max(0, dataSize), dataOffset);
        return new Header(version, metadata, List.copyOf(infos), alignment, dataOffset);
    }

    private static void checkTensorsFit(GgufCursor in, List<TensorInfo> infos, long dataSize, long dataOffset) {
        for (TensorInfo t : infos) {
            if (t.offset() > dataSize || t.byteSize() > dataSize - t.offset()) {
                throw in.error(t.infoOffset(), "tensor '" + t.name() + "' (" + t.byteSize() + " bytes at data offset " + t.offset()
                        + ") lies outside the data section of " + dataSize + " bytes starting at " + dataOffset + " (truncated file?)");
            }
        }
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort(Comparator.comparingLong(TensorInfo::offset));
        TensorInfo furthest = null; // the tensor ending last among those seen so far
        for (TensorInfo cur : sorted) {
            if (cur.byteSize() == 0) continue;
            if (furthest != null && furthest.offset() + furthest.byteSize() > cur.offset()) {
                throw in.error(cur.infoOffset(), "tensor '" + cur.name() + "' (data offset " + cur.offset() + ", " + cur.byteSize()
                        + " bytes) overlaps tensor '" + furthest.name() + "' (data offset " + furthest.offset() + ", " + furthest.byteSize() + " bytes)");
            }
            if (furthest == null || cur.offset() + cur.byteSize() > furthest.offset() + furthest.byteSize()) furthest = cur;
        }
    }

    static long alignUp(long v, long alignment) { return (v + alignment - 1) / alignment * alignment; }

    static boolean isValidAlignment(long a) { return a > 0 && a <= (1 << 30) && Long.bitCount(a) == 1; }

    private static GgufValue readValue(GgufCursor in, GgufValueType type, String key, int depth) {
        return new GgufValue(type, switch (type) {
            case UINT8 -> (long) in.u8(key);
            case INT8 -> (long) (byte) in.u8(key);
            case UINT16 -> (long) (in.u16(key) & 0xFFFF);
            case INT16 -> (long) in.u16(key);
            case UINT32 -> Integer.toUnsignedLong(in.u32(key));
            case INT32 -> (long) in.u32(key);
            case UINT64, INT64 -> in.u64(key);
            case FLOAT32 -> Float.intBitsToFloat(in.u32(key));
            case FLOAT64 -> Double.longBitsToDouble(in.u64(key));
            case BOOL -> {
                long at = in.position();
                int b = in.u8(key);
                if (b > 1) throw in.error(at, "bool value of '" + key + "' is " + b);
                yield b == 1;
            }
            case STRING -> in.string("the value of '" + key + "'");
            case ARRAY -> readArray(in, key, depth);
        });
    }

    private static GgufArray readArray(GgufCursor in, String key, int depth) {
        long at = in.position();
        if (depth >= MAX_NESTING) throw in.error(at, "arrays nested deeper than " + MAX_NESTING + " in '" + key + "'");
        int typeId = in.u32("the element type of '" + key + "'");
        GgufValueType et = GgufValueType.byId(Integer.toUnsignedLong(typeId));
        if (et == null) throw in.error(at, "unknown array element type " + Integer.toUnsignedString(typeId) + " in '" + key + "'");
        long countAt = in.position();
        long count = in.u64("the length of '" + key + "'");
        long minSize = et.size() > 0 ? et.size() : (et == GgufValueType.STRING ? 8 : 12);
        if (count < 0 || count > in.remaining() / minSize || count > Integer.MAX_VALUE - 8) {
            throw in.error(countAt, "array '" + key + "' of " + Long.toUnsignedString(count) + " " + et.name().toLowerCase()
                    + " elements runs past the end of the file (" + in.remaining() + " bytes left)");
        }
        int n = (int) count;
        String what = "array '" + key + "'";
        Object elements = switch (et) {
            case UINT8, INT8 -> { byte[] a = new byte[n]; in.copy(ValueLayout.JAVA_BYTE, a, n, what); yield a; }
            case BOOL -> {
                byte[] a = new byte[n];
                long p = in.position();
                in.copy(ValueLayout.JAVA_BYTE, a, n, what);
                for (int i = 0; i < n; i++) if ((a[i] & 0xFF) > 1) throw in.error(p + i, "bool element " + i + " of '" + key + "' is " + (a[i] & 0xFF));
                yield a;
            }
            case UINT16, INT16 -> { short[] a = new short[n]; in.copy(ValueLayout.JAVA_SHORT_UNALIGNED, a, n, what); yield a; }
            case UINT32, INT32 -> { int[] a = new int[n]; in.copy(ValueLayout.JAVA_INT_UNALIGNED, a, n, what); yield a; }
            case UINT64, INT64 -> { long[] a = new long[n]; in.copy(ValueLayout.JAVA_LONG_UNALIGNED, a, n, what); yield a; }
            case FLOAT32 -> { float[] a = new float[n]; in.copy(ValueLayout.JAVA_FLOAT_UNALIGNED, a, n, what); yield a; }
            case FLOAT64 -> { double[] a = new double[n]; in.copy(ValueLayout.JAVA_DOUBLE_UNALIGNED, a, n, what); yield a; }
            case STRING -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) a[i] = in.element(key, i);
                yield a;
            }
            case ARRAY -> {
                GgufArray[] a = new GgufArray[n];
                for (int i = 0; i < n; i++) a[i] = readArray(in, key + "[" + i + "]", depth + 1);
                yield a;
            }
        };
        return new GgufArray(et, elements);
    }
}
