package dev.vera4j.engine.kv;

import dev.vera4j.simd.Elementwise;
import dev.vera4j.simd.Halves;

/**
 * Keys and values of every layer for the positions processed so far, so that a conversation continues without
 * recomputing earlier tokens. Position {@code p} of layer {@code l} holds {@code kvDim} floats of keys and of values.
 * The cache is filled in order: {@link #length()} positions are valid; {@link #truncate} forgets a tail.
 *
 * <pre>{@code
 * KvCache cache = KvCache.allocate(KvType.F16, layers, ctx, kvDim);
 * cache.ensureRoom(promptLength);            // ContextOverflowException if it does not fit
 * cache.store(layer, pos, k, kOff, v, vOff);
 * cache.keyScores(layer, headOffset, q, qOff, headDim, positions, scale, scores, 0);   // q·k for every position
 * cache.mixValues(layer, headOffset, scores, 0, positions, out, outOff, headDim);      // Σ p·v
 * }</pre>
 */
public abstract sealed class KvCache permits KvCache.F32Cache, KvCache.F16Cache {
    protected final int layers;
    protected final int capacity;
    protected final int kvDim;
    private int length;

    KvCache(int layers, int capacity, int kvDim) {
        if (layers <= 0 || capacity <= 0 || kvDim <= 0) {
            throw new IllegalArgumentException("KV cache needs positive sizes, got layers=" + layers + " ctx=" + capacity + " kvDim=" + kvDim);
        }
        if ((long) capacity * kvDim > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("context " + capacity + " x " + kvDim + " is too large for one layer of the KV cache");
        }
        this.layers = layers;
        this.capacity = capacity;
        this.kvDim = kvDim;
    }

    /** A cache of {@code capacity} positions. */
    public static KvCache allocate(KvType type, int layers, int capacity, int kvDim) {
        return switch (type) {
            case F32 -> new F32Cache(layers, capacity, kvDim);
            case F16 -> new F16Cache(layers, capacity, kvDim);
        };
    }

    /** Bytes a cache of this shape takes. */
    public static long bytesFor(KvType type, int layers, int capacity, int kvDim) {
        return 2L * layers * capacity * kvDim * (type == KvType.F32 ? 4 : 2);
    }

    public abstract KvType type();

    /** Positions the cache can hold. */
    public int capacity() { return capacity; }

    /** Positions filled so far. */
    public int length() { return length; }

    public int kvDim() { return kvDim; }

    public int layers() { return layers; }

    /** @throws ContextOverflowException if {@code n} more positions do not fit */
    public void ensureRoom(int n) {
        if (n < 0 || n > capacity - length) throw new ContextOverflowException(length, n, capacity);
    }

    /** Marks {@code n} more positions as filled (after every layer stored them). */
    public void advance(int n) {
        ensureRoom(n);
        length += n;
    }

    /** Forgets every position from {@code newLength} on. */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a KV cache of " + length + " positions to " + newLength);
        }
        length = newLength;
    }

    /** Stores the key and value of one position (not yet counted in {@link #length()}). */
    public abstract void store(int layer, int pos, float[] k, int kOff, float[] v, int vOff);

    /**
     * {@code scores[sOff+p] = scale · Σ_i key[layer][p][off+i] · q[qOff+i]} (over {@code i < len}) for every position
     * {@code p < positions}: one query head against the keys of its kv head.
     */
    public abstract void keyScores(int layer, int off, float[] q, int qOff, int len, int positions, float scale, float[] scores, int sOff);

    /** {@code out[outOff+i] = Σ_p weights[wOff+p] · value[layer][p][off+i]} over {@code p < positions}, for {@code i < len}. */
    public abstract void mixValues(int layer, int off, float[] weights, int wOff, int positions, float[] out, int outOff, int len);

    /**
     * Copies one kv head's keys as floats, transposed: {@code dst[i·stride + p] = key[layer][p][off+i]} for
     * {@code i < len}, {@code p < positions} (the layout of {@link dev.vera4j.simd.AttentionRows#scores}).
     */
    public abstract void keysTransposed(int layer, int off, int len, int positions, float[] dst, int stride);

    /** Copies one kv head's values as floats: {@code dst[p·len + i] = value[layer][p][off+i]}. */
    public abstract void values(int layer, int off, int len, int positions, float[] dst);

    private void checkHead(int off, int len, int positions, int dstLength, long needed) {
        if (off < 0 || len < 0 || off + len > kvDim || positions < 0 || positions > capacity || needed > dstLength) {
            throw new IllegalArgumentException("head slice " + off + "+" + len + " of " + positions + " positions does not fit kvDim " + kvDim
                    + ", capacity " + capacity + " or a destination of " + dstLength);
        }
    }

    static final class F32Cache extends KvCache {
        private final float[][] keys;
        private final float[][] values;

        F32Cache(int layers, int capacity, int kvDim) {
            super(layers, capacity, kvDim);
            keys = new float[layers][capacity * kvDim];
            values = new float[layers][capacity * kvDim];
        }

        @Override public KvType type() { return KvType.F32; }

        @Override
        public void store(int layer, int pos, float[] k, int kOff, float[] v, int vOff) {
            System.arraycopy(k, kOff, keys[layer], pos * kvDim, kvDim);
            System.arraycopy(v, vOff, values[layer], pos * kvDim, kvDim);
        }

        @Override
        public void keyScores(int layer, int off, float[] q, int qOff, int len, int positions, float scale, float[] scores, int sOff) {
            float[] k = keys[layer];
            for (int p = 0, base = off; p < positions; p++, base += kvDim) scores[sOff + p] = Elementwise.dot(k, base, q, qOff, len) * scale;
        }

        @Override
        public void mixValues(int layer, int off, float[] weights, int wOff, int positions, float[] out, int outOff, int len) {
            float[] v = values[layer];
            java.util.Arrays.fill(out, outOff, outOff + len, 0f);
            for (int p = 0, base = off; p < positions; p++, base += kvDim) Elementwise.axpy(weights[wOff + p], v, base, out, outOff, len);
        }

        @Override
        public void keysTransposed(int layer, int off, int len, int positions, float[] dst, int stride) {
            super.checkHead(off, len, positions, dst.length, (long) Math.max(0, len - 1) * stride + positions);
            float[] k = keys[layer];
            for (int p = 0, base = off; p < positions; p++, base += kvDim) {
                for (int i = 0; i < len; i++) dst[i * stride + p] = k[base + i];
            }
        }

        @Override
        public void values(int layer, int off, int len, int positions, float[] dst) {
            super.checkHead(off, len, positions, dst.length, (long) positions * len);
            float[] v = values[layer];
            for (int p = 0, base = off; p < positions; p++, base += kvDim) System.arraycopy(v, base, dst, p * len, len);
        }
    }

    static final class F16Cache extends KvCache {
        private final short[][] keys;
        private final short[][] values;

        F16Cache(int layers, int capacity, int kvDim) {
            super(layers, capacity, kvDim);
            keys = new short[layers][capacity * kvDim];
            values = new short[layers][capacity * kvDim];
        }

        @Override public KvType type() { return KvType.F16; }

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
        public void keyScores(int layer, int off, float[] q, int qOff, int len, int positions, float scale, float[] scores, int sOff) {
            short[] k = keys[layer];
            for (int p = 0, base = off; p < positions; p++, base += kvDim) scores[sOff + p] = Halves.dot(k, base, q, qOff, len) * scale;
        }

        @Override
        public void mixValues(int layer, int off, float[] weights, int wOff, int positions, float[] out, int outOff, int len) {
            short[] v = values[layer];
            java.util.Arrays.fill(out, outOff, outOff + len, 0f);
            for (int p = 0, base = off; p < positions; p++, base += kvDim) Halves.axpy(weights[wOff + p], v, base, out, outOff, len);
        }

        @Override
        public void keysTransposed(int layer, int off, int len, int positions, float[] dst, int stride) {
            super.checkHead(off, len, positions, dst.length, (long) Math.max(0, len - 1) * stride + positions);
            short[] k = keys[layer];
            for (int p = 0, base = off; p < positions; p++, base += kvDim) {
                for (int i = 0; i < len; i++) dst[i * stride + p] = Float.float16ToFloat(k[base + i]);
            }
        }

        @Override
        public void values(int layer, int off, int len, int positions, float[] dst) {
            super.checkHead(off, len, positions, dst.length, (long) positions * len);
            short[] v = values[layer];
            for (int p = 0, base = off; p < positions; p++, base += kvDim) Halves.widen(v, base, dst, p * len, len);
        }
    }
}
