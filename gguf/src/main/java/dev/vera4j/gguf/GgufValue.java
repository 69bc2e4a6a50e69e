package dev.vera4j.gguf;

import java.util.Objects;

/**
 * One typed metadata value. Scalars hold a boxed Java value: {@code Long} for every integer type (unsigned values
 * zero-extended), {@code Float}, {@code Double}, {@code Boolean}, {@code String}; arrays hold a {@link GgufArray}.
 * The GGUF type is kept so that a file can be written back byte for byte.
 */
public record GgufValue(GgufValueType type, Object value) {
    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
    }

    public static GgufValue ofString(String s) { return new GgufValue(GgufValueType.STRING, s); }
    public static GgufValue ofUInt32(long v) { return new GgufValue(GgufValueType.UINT32, v & 0xFFFFFFFFL); }
    public static GgufValue ofInt32(int v) { return new GgufValue(GgufValueType.INT32, (long) v); }
    public static GgufValue ofUInt64(long v) { return new GgufValue(GgufValueType.UINT64, v); }
    public static GgufValue ofFloat32(float v) { return new GgufValue(GgufValueType.FLOAT32, v); }
    public static GgufValue ofBool(boolean v) { return new GgufValue(GgufValueType.BOOL, v); }
    public static GgufValue ofArray(GgufArray a) { return new GgufValue(GgufValueType.ARRAY, a); }

    @Override
    public String toString() { return type == GgufValueType.STRING ? '"' + (String) value + '"' : String.valueOf(value); }
}
