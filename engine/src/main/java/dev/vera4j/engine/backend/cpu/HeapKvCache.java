package dev.vera4j.engine.backend.cpu;

import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.simd.Elementwise;
import dev.vera4j.simd.Halves;

/**
 * The CPU backend's KV cache: every layer's keys and values in heap arrays, F32 or F16 (halves widened as they are
 * read), with the per-head products attention needs. Position {@code p} of layer {@code l} is at
 * {@code [p·kvDim, (p+1)·kvDim)} of the layer's arrays.
 *
 * <pre>{@code
 * HeapKvCache cache = HeapKvCache.allocate(KvType.F16, layers, ctx, kvDim);
 * cache.store(layer, pos, k, kOff, v, vOff);
 * cache.keyScores(layer, headOffset, q, qOff, headDim, 0, positions, scale, scores, 0);   // q·k for every position
 * cache.mixValues(layer, headOffset, scores, 0, 0, positions, out, outOff, headDim);      // Σ p·v
 * }</pre>
 */
public abstract sealed class HeapKvCache extends KvCache permits HeapKvCache.F32Cache, HeapKvCache.F16Cache {
    HeapKvCache(KvType type, int layers, int capacity, int kvDim) {
        super(type, layers, capacity, kvDim);
    }

    /** A cache of {@code capacity} positions. */
    public static HeapKvCache allocate(KvType type, int layers, int capacity, int kvDim) {
        return switch (type) {
            case F32 -> new F32Cache(layers, capacity, kvDim);
            case F16 -> new F16Cache(layers, capacity, kvDim);
        };
    }

    /** Stores the key and value of one position (not yet counted in {@link #length()}). */
    public abstract void store(int layer, int pos, float[] k, int kOff, float[] v, int vOff);

    /**
     * {@code scores[sOff + p − from] = scale · Σ_i key[layer][p][off+i] · q[qOff+i]} (over {@code i < len}) for the
     * positions {@code from ≤ p < to}: one query head against the keys of its kv head (a sliding window starts at
     * {@code from > 0}).
     */
    public abstract void keyScores(int layer, int off, float[] q, int qOff, int len, int from, int to, float scale, float[] scores, int sOff);

    /**
     * {@code out[outOff+i] = Σ_p weights[wOff + p − from] · value[layer][p][off+i]} over {@code from ≤ p < to}, for
     * {@code i < len}.
     */
    public abstract void mixValues(int layer, int off, float[] weights, int wOff, int from, int to, float[] out, int outOff, int len);

    /**
     * Copies one kv head's keys of positions {@code from ≤ p < to} as floats, transposed:
     * {@code dst[i·stride + p − from] = key[layer][p][off+i]} for {@code i < len} (the layout of
     * {@link dev.vera4j.simd.AttentionRows#scores}).
     */
    public abstract void keysTransposed(int layer, int off, int len, int from, int to, float[] dst, int stride);

    /** Copies one kv head's values of positions {@code from ≤ p < to} as floats: {@code dst[(p − from)·len + i] = value[layer][p][off+i]}. */
    public abstract void values(int layer, int off, int len, int from, int to, float[] dst);

    void checkHead(int off, int len, int from, int to, int dstLength, long needed) {
        if (off < 0 || len < 0 || off + len > kvDim || from < 0 || to < from || to > capacity || needed > dstLength) {
            throw new IllegalArgumentException("head slice " + off + "+" + len + " of positions " + from + ".." + to + " does not fit kvDim "
                    + kvDim + ", capacity " + capacity + " or a destination of " + dstLength);
        }
    }

    static final class F32Cache extends HeapKvCache {
        private final float[][] keys;
        private final float[][] values;

        F32Cache(int layers, int capacity, int kvDim) {
            super(KvType.F32, layers, capacity, kvDim);
            keys = new float[layers][capacity * kvDim];
            values = new float[layers][capacity * kvDim];
        }

        @Override
        public void store(int layer, int pos, float[] k, int kOff, float[] v, int vOff) {
            System.arraycopy(k, kOff, keys[layer], pos * kvDim, kvDim);
            System.arraycopy(v, vOff, values[layer], pos * kvDim, kvDim);
        }

        @Override
        public void keyScores(int layer, int off, float[] q, int qOff, int len, int from, int to, float scale, float[] scores, int sOff) {
            float[] k = keys[layer];
            for (int p = from, base = off + from * kvDim; p < to; p++, base += kvDim) scores[sOff + p - from] = Elementwise.dot(k, base, q, qOff, len) * scale;
        }

        @Override
        public void mixValues(int layer, int off, float[] weights, int wOff, int from, int to, float[] out, int outOff, int len) {
            float[] v = values[layer];
            java.util.Arrays.fill(out, outOff, outOff + len, 0f);
            for (int p = from, base = off + from * kvDim; p < to; p++, base += kvDim) Elementwise.axpy(weights[wOff + p - from], v, base, out, outOff, len);
        }

        @Override
        public void keysTransposed(int layer, int off, int len, int from, int to, float[] dst, int stride) {
            checkHead(off, len, from, to, dst.length, (long) Math.max(0, len - 1) * stride + to - from);
            float[] k = keys[layer];
            for (int p = from, base = off + from * kvDim; p < to; p++, base += kvDim) {
                for (int i = 0; i < len; i++) dst[i * stride + p - from] = k[base + i];
            }
        }

        @Override
        public void values(int layer, int off, int len, int from, int to, float[] dst) {
            checkHead(off, len, from, to, dst.length, (long) (to - from) * len);
            float[] v = values[layer];
            for (int p = from, base = off + from * kvDim; p < to; p++, base += kvDim) System.arraycopy(v, base, dst, (p - from) * len, len);
        }
    }

    static final class F16Cache extends HeapKvCache {
        private final short[][] keys;
        private final short[][] values;

        F16Cache(int layers, int capacity, int kvDim) {
            super(KvType.F16, layers, capacity, kvDim);
            keys = new short[layers][capacity * kvDim];
            values = new short[layers][capacity * kvDim];
        }

        @Override
        public void store(int layer, int pos, float[] k, int kOff, float[] v, int vOff) {
            short[] kk = keys[layer], vv = values[layer];
            int base = pos * kvDim;
            for (int i = 0; i < kvDim; i++) {
                kk[base + i] = Float.floatToFloat16(k[kOff + i]);
                vv[base + i] = Float.floatToFloat16(v[vOff + i]);
            }
        }

        @Override
        public void keyScores(int layer, int off, float[] q, int qOff, int len, int from, int to, float scale, float[] scores, int sOff) {
            short[] k = keys[layer];
            for (int p = from, base = off + from * kvDim; p < to; p++, base += kvDim) scores[sOff + p - from] = Halves.dot(k, base, q, qOff, len) * scale;
        }

        @Override
        public void mixValues(int layer, int off, float[] weights, int wOff, int from, int to, float[] out, int outOff, int len) {
            short[] v = values[layer];
            java.util.Arrays.fill(out, outOff, outOff + len, 0f);
            for (int p = from, base = off + from * kvDim; p < to; p++, base += kvDim) Halves.axpy(weights[wOff + p - from], v, base, out, outOff, len);
        }

        @Override
        public void keysTransposed(int layer, int off, int len, int from, int to, float[] dst, int stride) {
            checkHead(off, len, from, to, dst.length, (long) Math.max(0, len - 1) * stride + to - from);
            short[] k = keys[layer];
            for (int p = from, base = off + from * kvDim; p < to; p++, base += kvDim) {
                for (int i = 0; i < len; i++) dst[i * stride + p - from] = Float.float16ToFloat(k[base + i]);
            }
        }

        @Override
        public void values(int layer, int off, int len, int from, int to, float[] dst) {
            checkHead(off, len, from, to, dst.length, (long) (to - from) * len);
            short[] v = values[layer];
            for (int p = from, base = off + from * kvDim; p < to; p++, base += kvDim) Halves.widen(v, base, dst, (p - from) * len, len);
        }
    }
}
