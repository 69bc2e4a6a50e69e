package dev.vera4j.gguf.types;

import java.lang.foreign.MemorySegment;

/**
 * The 12-byte scale field of {@link Q4_K} and {@link Q5_K}: eight 6-bit scales and eight 6-bit mins.
 *
 * <pre>
 * sub-block j &lt; 4: scale = s[j] &amp; 63,                          min = s[j+4] &amp; 63
 * sub-block j ≥ 4: scale = (s[j+4] &amp; 15) | (s[j-4] &gt;&gt; 6) &lt;&lt; 4,    min = (s[j+4] &gt;&gt; 4) | (s[j] &gt;&gt; 6) &lt;&lt; 4
 * </pre>
 * (ggml's {@code get_scale_min_k4}): the top two bits of the last four scales and mins ride in the unused top bits
 * of the first eight bytes.
 */
final class KScales {
    private KScales() {}

    /** Scale of sub-block {@code j} from the field at {@code offset}. */
    static int scale(MemorySegment s, long offset, int j) {
        return j < 4 ? Le.u8(s, offset + j) & 63
                : (Le.u8(s, offset + j + 4) & 0x0F) | ((Le.u8(s, offset + j - 4) >>> 6) << 4);
    }

    /** Min of sub-block {@code j} from the field at {@code offset}. */
    static int min(MemorySegment s, long offset, int j) {
        return j < 4 ? Le.u8(s, offset + j + 4) & 63
                : (Le.u8(s, offset + j + 4) >>> 4) | ((Le.u8(s, offset + j) >>> 6) << 4);
    }

    /** Packs eight 6-bit scales and mins into {@code out[0..12)}, the inverse of {@link #scale} and {@link #min}. */
    static void pack(int[] scales, int[] mins, byte[] out) {
        for (int j = 0; j < 8; j++) {
            int ls = scales[j];
            int lm = mins[j];
            if (j < 4) {
                out[j] = (byte) ls;
                out[j + 4] = (byte) lm;
            } else {
                out[j + 4] = (byte) ((ls & 0x0F) | ((lm & 0x0F) << 4));
                out[j - 4] |= (byte) ((ls >>> 4) << 6);
                out[j] |= (byte) ((lm >>> 4) << 6);
            }
        }
    }
}
