package dev.vera4j.gguf.types;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The shared first half of ggml's {@code quantize_row_q4_K_ref} and {@code quantize_row_q5_K_ref}: per super-block of
 * 256, choose a scale and min for each of the 8 sub-blocks of 32 ({@link ScaleSearch#minMaxScale} with weights
 * {@code rms + |x|}), store {@code d}, {@code dmin} and the 6-bit scales/mins (the 16-byte header both layouts share),
 * then requantize every value against the stored, rounded scales.
 *
 * <p>One instance holds the scratch arrays for one {@code quantize} call; not thread-safe.
 */
final class MinMaxEncoder {
    private final int nmax;
    private final float rmin;
    private final int nstep;
    /** The quants of the last encoded super-block, each in {@code [0, nmax]}. */
    final byte[] levels = new byte[256];
    private final byte[] aux = new byte[32];
    private final float[] weights = new float[32];
    private final float[] scales = new float[8];
    private final float[] mins = new float[8];
    private final int[] scaleLevels = new int[8];
    private final int[] minLevels = new int[8];
    private final byte[] packed = new byte[12];

    /** Search parameters as ggml uses them: Q4_K {@code (15, -1, 20)}, Q5_K {@code (31, -0.5, 15)}. */
    MinMaxEncoder(int nmax, float rmin, int nstep) {
        this.nmax = nmax;
        this.rmin = rmin;
        this.nstep = nstep;
    }

    /** Encodes {@code src[x .. x+256)}: writes bytes {@code [o, o+16)} of {@code dst} and fills {@link #levels}. */
    void encode(float[] src, int x, MemorySegment dst, long o) {
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            int xs = x + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += src[xs + l] * src[xs + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(src[xs + l]);
            scales[j] = ScaleSearch.minMaxScale(32, nmax, src, xs, weights, levels, 32 * j, mins, j, aux,
                    rmin, 0.1f, nstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (int j = 0; j < 8; j++) {
            scaleLevels[j] = Math.min(63, Rounding.nearestInt(invScale * scales[j]) & 0xFF);
            minLevels[j] = Math.min(63, Rounding.nearestInt(invMin * mins[j]) & 0xFF);
        }
        Arrays.fill(packed, (byte) 0);
        KScales.pack(scaleLevels, minLevels, packed);
        Le.putF16(dst, o, maxScale / 63f);
        Le.putF16(dst, o + 2, maxMin / 63f);
        MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, o + 4, 12);
        // requantize against the scales as stored, so the decoder sees the quants that fit them best
        float d = Le.f16(dst, o);
        float dmin = Le.f16(dst, o + 2);
        for (int j = 0; j < 8; j++) {
            float dj = d * KScales.scale(dst, o + 4, j);
            if (dj == 0) continue; // keep the search's quants, as ggml does
            float dm = dmin * KScales.min(dst, o + 4, j);
            for (int i = 0; i < 32; i++) {
                int l = Rounding.nearestInt((src[x + 32 * j + i] + dm) / dj);
                levels[32 * j + i] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
    }
}
