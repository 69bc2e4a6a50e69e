package dev.vera4j.vera.peft;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor of a safetensors file: name, dtype, shape (outermost first, row-major as in PyTorch) and its
 * little-endian bytes, a read-only view of the mapped file (or of a heap buffer).
 *
 * <pre>{@code
 * SafetensorsTensor t = st.tensor("base_model.vera_A");
 * long rows = t.shape()[0];
 * float[] values = t.toFloats();   // F32, F16, BF16 or F64 widened/narrowed to float
 * }</pre>
 */
public record SafetensorsTensor(String name, SafetensorsDtype dtype, long[] shape, MemorySegment data) {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public SafetensorsTensor {
        shape = shape.clone();
    }

    /** The shape; a copy, so callers may keep or change it. */
    @Override
    public long[] shape() { return shape.clone(); }

    /** Number of elements: the product of the shape (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /**
     * The values as floats: F32 as is, F16 and BF16 widened exactly, F64 rounded to nearest.
     *
     * @throws SafetensorsFormatException if the dtype is not a floating-point type or the tensor is too large for an array
     */
    public float[] toFloats() {
        if (!dtype.isFloat()) {
            throw new SafetensorsFormatException(name, "dtype " + dtype + " is not a floating-point type");
        }
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new SafetensorsFormatException(name, n + " elements do not fit a Java array");
        }
        float[] out = new float[(int) n];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case F32 -> data.getAtIndex(F32, i);
                case F16 -> Float.float16ToFloat(data.getAtIndex(I16, i));
                case BF16 -> Float.intBitsToFloat(data.getAtIndex(I16, i) << 16);
                case F64 -> (float) data.getAtIndex(F64, i);
                default -> throw new IllegalStateException(dtype.name());
            };
        }
        return out;
    }

    /**
     * Encodes {@code values} as little-endian bytes of a floating-point {@code dtype}, rounding to nearest-even as
     * PyTorch's {@code .to(dtype)} does (NaN stays NaN).
     *
     * @throws IllegalArgumentException if {@code dtype} is not F32, F16, BF16 or F64
     */
    public static byte[] encode(SafetensorsDtype dtype, float[] values) {
        if (!dtype.isFloat()) {
            throw new IllegalArgumentException("cannot encode floats as " + dtype);
        }
        byte[] bytes = new byte[values.length * dtype.size()];
        MemorySegment out = MemorySegment.ofArray(bytes);
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case F32 -> out.setAtIndex(F32, i, values[i]);
                case F16 -> out.setAtIndex(I16, i, Float.floatToFloat16(values[i]));
                case BF16 -> out.setAtIndex(I16, i, toBf16(values[i]));
                case F64 -> out.setAtIndex(F64, i, values[i]);
                default -> throw new IllegalStateException(dtype.name());
            }
        }
        return bytes;
    }

    /** c10::BFloat16's round-to-nearest-even; every NaN becomes the canonical quiet NaN 0x7FC0. */
    static short toBf16(float f) {
        if (Float.isNaN(f)) {
            return (short) 0x7FC0;
        }
        int bits = Float.floatToRawIntBits(f);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafetensorsTensor t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && data.byteSize() == t.data.byteSize()
                && data.mismatch(t.data) == -1;
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + dtype.hashCode(); }

    @Override
    public String toString() { return name + " " + dtype + " " + Arrays.toString(shape); }
}
