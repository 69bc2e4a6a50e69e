package dev.vera4j.gguf;

import java.io.IOException;

/** Encodes metadata values (the part after the type id) exactly as {@link GgufHeaderParser} reads them. */
final class GgufValueWriter {
    private GgufValueWriter() {}

    static void write(GgufOutput out, GgufValue v) throws IOException {
        Object o = v.value();
        switch (v.type()) {
            case UINT8, INT8 -> out.u8((int) (long) (Long) o);
            case UINT16, INT16 -> out.u16((int) (long) (Long) o);
            case UINT32, INT32 -> out.u32((int) (long) (Long) o);
            case UINT64, INT64 -> out.u64((Long) o);
            case FLOAT32 -> out.f32((Float) o);
            case FLOAT64 -> out.f64((Double) o);
            case BOOL -> out.u8((Boolean) o ? 1 : 0);
            case STRING -> out.string((String) o);
            case ARRAY -> array(out, (GgufArray) o);
        }
    }

    private static void array(GgufOutput out, GgufArray a) throws IOException {
        out.u32(a.elementType().id());
        out.u64(a.length());
        switch (a.elements()) {
            case byte[] b -> out.bytes(b, 0, b.length);
            case short[] s -> { for (short x : s) out.u16(x); }
            case int[] ints -> { for (int x : ints) out.u32(x); }
            case long[] longs -> { for (long x : longs) out.u64(x); }
            // raw bits, so NaN payloads survive a round trip
            case float[] f -> { for (float x : f) out.u32(Float.floatToRawIntBits(x)); }
            case double[] d -> { for (double x : d) out.u64(Double.doubleToRawLongBits(x)); }
            case String[] strings -> { for (String s : strings) out.string(s); }
            case GgufArray[] nested -> { for (GgufArray n : nested) array(out, n); }
            default -> throw new IllegalStateException("unexpected array storage " + a.elements().getClass());
        }
    }
}
