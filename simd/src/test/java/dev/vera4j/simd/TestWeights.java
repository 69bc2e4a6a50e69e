package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Random but valid weight matrices of every kernel type, and a plain double-precision reference product. */
final class TestWeights {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TestWeights() {}

    /**
     * A {@code rows × cols} matrix of {@code type}: quantized blocks get random bytes (every bit pattern of the quants is
     * valid) with fp16 scales overwritten by finite random values; float types get random finite values.
     */
    static Weights random(GgmlType type, int rows, int cols, Random rnd, Arena arena) {
        long rowBytes = type.bytesFor(cols);
        // an odd base offset checks that no kernel relies on aligned loads
        MemorySegment all = arena.allocate(rows * rowBytes + 1, 64).asSlice(1);
        for (long i = 0; i < all.byteSize(); i++) all.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        int blocks = cols / type.blockSize();
        for (int r = 0; r < rows; r++) {
            long row = r * rowBytes;
            for (int b = 0; b < blocks; b++) {
                long p = row + (long) b * type.typeSize();
                switch (type) {
                    case F32 -> all.set(F32, p, (float) rnd.nextGaussian());
                    case F16 -> all.set(I16, p, Float.floatToFloat16((float) rnd.nextGaussian()));
                    case BF16 -> all.set(I16, p, (short) (Float.floatToIntBits((float) rnd.nextGaussian()) >>> 16));
                    default -> { for (int off : scaleOffsets(type)) all.set(I16, p + off, scale(rnd)); }
                }
            }
        }
        return new Weights(all, type, rows, cols);
    }

    /** Offsets of the fp16 factors in a block of {@code type}. */
    static int[] scaleOffsets(GgmlType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q5_0, IQ4_NL, IQ4_XS -> new int[]{0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[]{0, 2};
            case Q6_K -> new int[]{208};
            case Q3_K -> new int[]{108};
            case Q2_K -> new int[]{80, 82};
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    private static short scale(Random rnd) {
        return Float.floatToFloat16((float) ((rnd.nextDouble() * 2 - 1) * 0.02));
    }

    static float[] randomVector(int n, Random rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    /** Row {@code r} decoded by the scalar reference. */
    static float[] row(Weights w, int r) {
        float[] out = new float[w.cols()];
        Dequant.row(w.type(), w.data(), w.rowBytes() * r, out, 0, w.cols());
        return out;
    }
}
