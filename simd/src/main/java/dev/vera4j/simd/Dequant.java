package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.vera4j.simd.Vec.F32;
import static dev.vera4j.simd.Vec.I16;
import static dev.vera4j.simd.Vec.f16;

/**
 * Scalar dequantization of the weight types that have vector kernels: the reference the kernels are tested against,
 * and the way to read single rows (e.g. a token embedding).
 *
 * <pre>{@code
 * float[] row = new float[w.cols()];
 * Dequant.row(w.type(), w.data(), w.rowBytes() * token, row, 0, w.cols());
 * }</pre>
 */
public final class Dequant {
    private Dequant() {}

    /** Whether {@link #row} handles {@code type}. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Decodes {@code count} values (whole blocks) stored at byte {@code off} of {@code src} into {@code dst[dstOff..]}.
     *
     * @throws UnsupportedOperationException if {@link #supports} is false for {@code type}
     */
    public static void row(GgmlType type, MemorySegment src, long off, float[] dst, int dstOff, int count) {
        if (count % type.blockSize() != 0) throw new IllegalArgumentException(count + " values are not whole " + type + " blocks");
        switch (type) {
            case F32 -> { for (int i = 0; i < count; i++) dst[dstOff + i] = src.get(F32, off + 4L * i); }
            case F16 -> { for (int i = 0; i < count; i++) dst[dstOff + i] = f16(src, off + 2L * i); }
            case BF16 -> { for (int i = 0; i < count; i++) dst[dstOff + i] = Float.intBitsToFloat(src.get(I16, off + 2L * i) << 16); }
            case Q8_0 -> q8_0(src, off, dst, dstOff, count);
            case Q4_0 -> q4_0(src, off, dst, dstOff, count);
            case Q4_K -> q4_K(src, off, dst, dstOff, count);
            case Q6_K -> q6_K(src, off, dst, dstOff, count);
            default -> throw new UnsupportedOperationException("no dequantizer for " + type);
        }
    }

    private static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xff;
    }

    /** Block: fp16 scale, 32 signed bytes. */
    private static void q8_0(MemorySegment s, long off, float[] dst, int o, int count) {
        for (int b = 0; b < count / 32; b++, off += 34, o += 32) {
            float d = f16(s, off);
            for (int j = 0; j < 32; j++) dst[o + j] = d * s.get(ValueLayout.JAVA_BYTE, off + 2 + j);
        }
    }

    /** Block: fp16 scale, 16 bytes; byte j holds value j in its low nibble and value j + 16 in its high nibble. */
    private static void q4_0(MemorySegment s, long off, float[] dst, int o, int count) {
        for (int b = 0; b < count / 32; b++, off += 18, o += 32) {
            float d = f16(s, off);
            for (int j = 0; j < 16; j++) {
                int q = u8(s, off + 2 + j);
                dst[o + j] = d * ((q & 15) - 8);
                dst[o + j + 16] = d * ((q >> 4) - 8);
            }
        }
    }

    /**
     * Super-block of 256: fp16 d, fp16 dmin, 12 bytes of 6-bit scales and mins for 8 sub-blocks of 32, 128 bytes of
     * nibbles (per 64 values: 32 bytes, low nibbles first sub-block, high nibbles second). value = d·sc·q − dmin·m.
     */
    private static void q4_K(MemorySegment s, long off, float[] dst, int o, int count) {
        for (int b = 0; b < count / 256; b++, off += 144, o += 256) {
            float d = f16(s, off), dmin = f16(s, off + 2);
            for (int j = 0; j < 8; j += 2) {
                float d1 = d * q4kScale(s, off + 4, j), m1 = dmin * q4kMin(s, off + 4, j);
                float d2 = d * q4kScale(s, off + 4, j + 1), m2 = dmin * q4kMin(s, off + 4, j + 1);
                long qs = off + 16 + 16L * j;
                for (int l = 0; l < 32; l++) {
                    int q = u8(s, qs + l);
                    dst[o + 32 * j + l] = d1 * (q & 15) - m1;
                    dst[o + 32 * j + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }

    /** The 6-bit scale of sub-block {@code j} of a Q4_K super-block whose 12 scale bytes start at {@code sc}. */
    static int q4kScale(MemorySegment s, long sc, int j) {
        return j < 4 ? u8(s, sc + j) & 63 : (u8(s, sc + j + 4) & 15) | ((u8(s, sc + j - 4) >> 6) << 4);
    }

    /** The 6-bit min of sub-block {@code j}. */
    static int q4kMin(MemorySegment s, long sc, int j) {
        return j < 4 ? u8(s, sc + j + 4) & 63 : (u8(s, sc + j + 4) >> 4) | ((u8(s, sc + j) >> 6) << 4);
    }

    /**
     * Super-block of 256: 128 bytes low nibbles (ql), 64 bytes of 2-bit highs (qh), 16 signed 8-bit scales (one per
     * 16 values), fp16 d. value = d·scale·(q − 32) with q six bits. Per half of 128 values, ql byte l (l < 64) gives
     * values l (low nibble) and l + 64 (high nibble); qh byte l (l < 32) gives bits 4–5 of values l, l+32, l+64, l+96.
     */
    private static void q6_K(MemorySegment s, long off, float[] dst, int o, int count) {
        for (int b = 0; b < count / 256; b++, off += 210, o += 256) {
            float d = f16(s, off + 208);
            for (int h = 0; h < 2; h++) {
                long ql = off + 64L * h, qh = off + 128 + 32L * h, sc = off + 192 + 8L * h;
                int y = o + 128 * h;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int lo0 = u8(s, ql + l), lo1 = u8(s, ql + l + 32), hi = u8(s, qh + l);
                    int q1 = ((lo0 & 15) | ((hi & 3) << 4)) - 32;
                    int q2 = ((lo1 & 15) | (((hi >> 2) & 3) << 4)) - 32;
                    int q3 = ((lo0 >> 4) | (((hi >> 4) & 3) << 4)) - 32;
                    int q4 = ((lo1 >> 4) | (((hi >> 6) & 3) << 4)) - 32;
                    dst[y + l] = d * s.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                    dst[y + l + 32] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                    dst[y + l + 64] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                    dst[y + l + 96] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
                }
            }
        }
    }
}
