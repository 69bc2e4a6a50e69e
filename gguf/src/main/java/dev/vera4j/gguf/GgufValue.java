package dev.vera4j.gguf;

import java.util.Objects;

/**
 * One typed metadata value. Scalars hold a boxed Java value: {@code Long} for every integer type (unsigned values
 * zero-extended; {@code UINT64} keeps all 64 bits, so values above {@code Long.MAX_VALUE} read as negative),
 * {@code Float}, {@code Double}, {@code Boolean}, {@code String}; arrays hold a {@link GgufArray}.
 * The GGUF type is kept so that a file can be written back byte for byte.
 *
 * <pre>{@code
 * GgufValue layers = GgufValue.ofUInt32(32);
 * GgufValue eps = GgufValue.ofFloat32(1e-5f);
 * GgufValue tokens = GgufValue.ofArray(GgufArray.ofStrings("<s>", "</s>"));
 * }</pre>
 *
 * @throws IllegalArgumentException from the constructor if {@code value} does not suit {@code type} (wrong Java class,
 *                                  or an integer outside the type's range)
 */
public record GgufValue(GgufValueType type, Object value) {
    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        value = checked(type, value);
    }

    private static Object checked(GgufValueType type, Object value) {
        return switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> integer(type, value);
            case FLOAT32 -> require(type, value, Float.class);
            case FLOAT64 -> require(type, value, Double.class);
            case BOOL -> require(type, value, Boolean.class);
            case STRING -> require(type, value, String.class);
            case ARRAY -> require(type, value, GgufArray.class);
        };
    }

    private static Object require(GgufValueType type, Object value, Class<?> wanted) {
        if (!wanted.isInstance(value)) {
            throw new IllegalArgumentException(type + " value must be a " + wanted.getSimpleName() + ", got " + value.getClass().getSimpleName());
        }
        return value;
    }

    private static Long integer(GgufValueType type, Object value) {
        long v = switch (value) {
            case Long l -> l;
            case Integer i -> i;
            case Short s -> s;
            case Byte b -> b;
            default -> throw new IllegalArgumentException(type + " value must be an integer, got " + value.getClass().getSimpleName());
        };
        long min = switch (type) {
            case INT8 -> Byte.MIN_VALUE;
            case INT16 -> Short.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            case INT64, UINT64 -> Long.MIN_VALUE; // UINT64 uses all 64 bits
            default -> 0;
        };
        long max = switch (type) {
            case UINT8 -> 0xFF;
            case INT8 -> Byte.MAX_VALUE;
            case UINT16 -> 0xFFFF;
            case INT16 -> Short.MAX_VALUE;
            case UINT32 -> 0xFFFFFFFFL;
            case INT32 -> Integer.MAX_VALUE;
            default -> Long.MAX_VALUE;
        };
        if (v < min || v > max) throw new IllegalArgumentException(v + " is out of range for " + type);
        return v;
    }

    public static GgufValue ofString(String s) { return new GgufValue(GgufValueType.STRING, s); }
    public static GgufValue ofUInt8(int v) { return new GgufValue(GgufValueType.UINT8, (long) v); }
    public static GgufValue ofInt8(int v) { return new GgufValue(GgufValueType.INT8, (long) v); }
    public static GgufValue ofUInt16(int v) { return new GgufValue(GgufValueType.UINT16, (long) v); }
    public static GgufValue ofInt16(int v) { return new GgufValue(GgufValueType.INT16, (long) v); }
    public static GgufValue ofUInt32(long v) { return new GgufValue(GgufValueType.UINT32, v & 0xFFFFFFFFL); }
    public static GgufValue ofInt32(int v) { return new GgufValue(GgufValueType.INT32, (long) v); }
    public static GgufValue ofUInt64(long v) { return new GgufValue(GgufValueType.UINT64, v); }
    public static GgufValue ofInt64(long v) { return new GgufValue(GgufValueType.INT64, v); }
    public static GgufValue ofFloat32(float v) { return new GgufValue(GgufValueType.FLOAT32, v); }
    public static GgufValue ofFloat64(double v) { return new GgufValue(GgufValueType.FLOAT64, v); }
    public static GgufValue ofBool(boolean v) { return new GgufValue(GgufValueType.BOOL, v); }
    public static GgufValue ofArray(GgufArray a) { return new GgufValue(GgufValueType.ARRAY, a); }

    @Override
    public String toString() {
        return switch (type) {
            case STRING -> '"' + (String) value + '"';
            case UINT64 -> Long.toUnsignedString((Long) value);
            default -> String.valueOf(value);
        };
    }
}
