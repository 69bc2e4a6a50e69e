package dev.vera4j.gguf.types;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * ggml's {@code quantize_row_iq4_nl_impl} without importance weights, shared by {@link IQ4_NL} (one block of 32 per
 * scale) and {@link IQ4_XS} (8 blocks of 32 under one super-block scale): values map to the nearest of the 16
 * {@link IQ4_NL#KVALUES} after scaling; each block's scale is fitted by x²-weighted least squares and the best of
 * 15 candidate scales is kept.
 *
 * <p>One instance holds the scratch arrays for one {@code quantize} call; not thread-safe.
 */
final class NonLinearEncoder {
    private static final byte[] VALUES = IQ4_NL.KVALUES;
    /** Candidate scales tried on each side of the first guess, as ggml's {@code quantize_iq4_nl}/{@code _xs} pass. */
    private static final int TRIES = 7;

    private final byte[] levels = new byte[256];
    private final float[] scales = new float[8];
    private final int[] scalesL = new int[4];

    /**
     * Encodes one block of 32 into IQ4_NL's layout: f16 {@code d} at {@code o}, 16 bytes of indices after it.
     */
    void encodeNl(float[] x, int xOff, MemorySegment dst, long o) {
        fitBlockScales(x, xOff, 1);
        float d = scales[0];
        Le.putF16(dst, o, d);
        // re-pick indices for the chosen scale (the scale search does not record them)
        float id = d != 0 ? 1 / d : 0;
        for (int j = 0; j < 32; j++) levels[j] = (byte) bestIndex(id * x[xOff + j]);
        packIndices(dst, o + 2, 1);
    }

    /**
     * Encodes one super-block of 256 into IQ4_XS's layout: f16 {@code d}, uint16 {@code scales_h}, 4 bytes
     * {@code scales_l}, 128 bytes of indices.
     */
    void encodeXs(float[] x, int xOff, MemorySegment dst, long o) {
        float maxScale = fitBlockScales(x, xOff, 8);
        float d = -maxScale / 32;
        Le.putF16(dst, o, d);
        float id = d != 0 ? 1 / d : 0f;
        int scalesH = 0;
        Arrays.fill(scalesL, 0);
        for (int ib = 0; ib < 8; ib++) {
            int l = Math.max(-32, Math.min(31, Rounding.nearestInt(id * scales[ib])));
            // ggml picks indices against the unrounded super-block scale, not the stored f16
            float dl = d * l;
            float idl = dl != 0 ? 1 / dl : 0f;
            for (int j = 0; j < 32; j++) levels[32 * ib + j] = (byte) bestIndex(idl * x[xOff + 32 * ib + j]);
            l += 32;
            scalesL[ib / 2] |= (l & 0x0F) << (4 * (ib % 2));
            scalesH |= (l >>> 4) << (2 * ib);
        }
        dst.set(Le.SHORT, o + 2, (short) scalesH);
        for (int i = 0; i < 4; i++) Le.putU8(dst, o + 4 + i, scalesL[i]);
        packIndices(dst, o + 8, 8);
    }

    /** Fits {@link #scales} for {@code blocks} blocks of 32; returns the scale of largest magnitude. */
    private float fitBlockScales(float[] x, int xOff, int blocks) {
        float maxScale = 0;
        float amaxScale = 0;
        for (int ib = 0; ib < blocks; ib++) {
            int xb = xOff + 32 * ib;
            float amax = 0;
            float max = 0;
            for (int j = 0; j < 32; j++) {
                float ax = Math.abs(x[xb + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[xb + j];
                }
            }
            if (amax < ScaleSearch.GROUP_MAX_EPS) {
                scales[ib] = 0;
                continue;
            }
            float d = -max / VALUES[0];
            float id = 1 / d;
            float sumQX = 0;
            float sumQ2 = 0;
            for (int j = 0; j < 32; j++) {
                float v = x[xb + j];
                float q = VALUES[bestIndex(id * v)];
                float w = v * v;
                sumQX += w * q * v;
                sumQ2 += w * q * q;
            }
            d = sumQX / sumQ2;
            float best = d * sumQX;
            for (int t = -TRIES; t <= TRIES; t++) {
                id = (t + VALUES[0]) / max;
                sumQX = 0;
                sumQ2 = 0;
                for (int j = 0; j < 32; j++) {
                    float v = x[xb + j];
                    float q = VALUES[bestIndex(id * v)];
                    float w = v * v;
                    sumQX += w * q * v;
                    sumQ2 += w * q * q;
                }
                if (sumQ2 > 0 && sumQX * sumQX > best * sumQ2) {
                    d = sumQX / sumQ2;
                    best = d * sumQX;
                }
            }
            scales[ib] = d;
            if (Math.abs(d) > amaxScale) {
                amaxScale = Math.abs(d);
                maxScale = d;
            }
        }
        return maxScale;
    }

    private void packIndices(MemorySegment dst, long at, int blocks) {
        for (int i = 0; i < blocks; i++) {
            for (int j = 0; j < 16; j++) {
                Le.putU8(dst, at + 16L * i + j, levels[32 * i + j] | (levels[32 * i + 16 + j] << 4));
            }
        }
    }

    /** ggml's {@code best_index_int8}: the index of the table value nearest to {@code x} (the upper one on ties). */
    static int bestIndex(float x) {
        if (x <= VALUES[0]) return 0;
        if (x >= VALUES[15]) return 15;
        int lo = 0;
        int hi = 15;
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (x < VALUES[mid]) hi = mid; else lo = mid;
        }
        return x - VALUES[hi - 1] < VALUES[hi] - x ? hi - 1 : hi;
    }
}
