package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.types.Codecs;

import java.lang.foreign.MemorySegment;

/**
 * Scalar dequantization of weight rows: the reference the kernels are tested against, and the way to read single rows
 * (e.g. a token embedding). Decoding itself is the codecs' ggml-exact scalar path ({@link Codecs}), which is tested
 * bit for bit against ggml's own vectors.
 *
 * <pre>{@code
 * float[] row = new float[w.cols()];
 * Dequant.row(w.type(), w.data(), w.rowBytes() * token, row, 0, w.cols());
 * }</pre>
 */
public final class Dequant {
    private Dequant() {}

    /**
     * Decodes {@code count} values (whole blocks) stored at byte {@code off} of {@code src} into {@code dst[dstOff..]}.
     *
     * @throws UnsupportedOperationException if no codec decodes {@code type}
     */
    public static void row(GgmlType type, MemorySegment src, long off, float[] dst, int dstOff, int count) {
        if (!Codecs.supports(type)) throw new UnsupportedOperationException("no dequantizer for " + type);
        if (count % type.blockSize() != 0) throw new IllegalArgumentException(count + " values are not whole " + type + " blocks");
        Codecs.of(type).dequantizeReference(src, off, dst, dstOff, count);
    }
}
