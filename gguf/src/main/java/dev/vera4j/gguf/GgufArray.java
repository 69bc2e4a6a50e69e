package dev.vera4j.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * A metadata array: its element type and the elements in the narrowest Java array that holds them —
 * {@code byte[]} for UINT8/INT8/BOOL, {@code short[]} for UINT16/INT16, {@code int[]} for UINT32/INT32,
 * {@code long[]} for UINT64/INT64, {@code float[]}, {@code double[]}, {@code String[]}, or {@code GgufArray[]} for
 * nested arrays. Unsigned elements are read back zero-extended by {@link #getLong(int)}.
 *
 * <pre>{@code
 * GgufArray tokens = GgufArray.ofStrings("<unk>", "<s>", "</s>");
 * GgufArray types = new GgufArray(GgufValueType.INT32, new int[]{2, 3, 3});
 * }</pre>
 *
 * @throws IllegalArgumentException from the constructor if the storage does not match the element type, a string
 *                                  or nested array is null, or a bool element is neither 0 nor 1
 */
public record GgufArray(GgufValueType elementType, Object elements) {
    public GgufArray {
        Objects.requireNonNull(elementType, "elementType");
        Objects.requireNonNull(elements, "elements");
        Class<?> wanted = switch (elementType) {
            case UINT8, INT8, BOOL -> byte[].class;
            case UINT16, INT16 -> short[].class;
            case UINT32, INT32 -> int[].class;
            case UINT64, INT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case STRING -> String[].class;
            case ARRAY -> GgufArray[].class;
        };
        if (elements.getClass() != wanted) {
            throw new IllegalArgumentException("an array of " + elementType + " is stored in a " + wanted.getSimpleName()
                    + ", got " + elements.getClass().getSimpleName());
        }
        if (elements instanceof Object[] objects) {
            for (int i = 0; i < objects.length; i++) {
                if (objects[i] == null) throw new IllegalArgumentException("element " + i + " is null");
            }
        }
        if (elementType == GgufValueType.BOOL) {
            byte[] b = (byte[]) elements;
            for (int i = 0; i < b.length; i++) {
                if ((b[i] & 0xFF) > 1) throw new IllegalArgumentException("bool element " + i + " is " + (b[i] & 0xFF));
            }
        }
    }

    public static GgufArray ofStrings(String... s) { return new GgufArray(GgufValueType.STRING, s); }
    public static GgufArray ofInt32(int... v) { return new GgufArray(GgufValueType.INT32, v); }
    public static GgufArray ofFloat32(float... v) { return new GgufArray(GgufValueType.FLOAT32, v); }
    /** An array of arrays; each inner array has its own element type. */
    public static GgufArray ofArrays(GgufArray... a) { return new GgufArray(GgufValueType.ARRAY, a); }

    /** Number of elements. */
    public int length() {
        return switch (elements) {
            case byte[] a -> a.length;
            case short[] a -> a.length;
            case int[] a -> a.length;
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case String[] a -> a.length;
            case GgufArray[] a -> a.length;
            default -> throw new IllegalStateException("unexpected array storage " + elements.getClass());
        };
    }

    /** Element {@code i} as a long; integer and bool arrays only. */
    public long getLong(int i) {
        return switch (elementType) {
            case UINT8 -> ((byte[]) elements)[i] & 0xFFL;
            case INT8, BOOL -> ((byte[]) elements)[i];
            case UINT16 -> ((short[]) elements)[i] & 0xFFFFL;
            case INT16 -> ((short[]) elements)[i];
            case UINT32 -> ((int[]) elements)[i] & 0xFFFFFFFFL;
            case INT32 -> ((int[]) elements)[i];
            case UINT64, INT64 -> ((long[]) elements)[i];
            default -> throw new IllegalStateException("array of " + elementType + " has no integer elements");
        };
    }

    /** Element {@code i} as a double; numeric arrays only. */
    public double getDouble(int i) {
        return switch (elementType) {
            case FLOAT32 -> ((float[]) elements)[i];
            case FLOAT64 -> ((double[]) elements)[i];
            default -> getLong(i);
        };
    }

    /** Element {@code i} as text: strings as they are, numbers and bools in Java notation, nested arrays via toString. */
    public String elementText(int i) {
        return switch (elements) {
            case String[] a -> a[i];
            case float[] a -> Float.toString(a[i]);
            case double[] a -> Double.toString(a[i]);
            case GgufArray[] a -> a[i].toString();
            default -> switch (elementType) {
                case BOOL -> Boolean.toString(getLong(i) != 0);
                case UINT64 -> Long.toUnsignedString(getLong(i));
                default -> Long.toString(getLong(i));
            };
        };
    }

    @Override
    public String toString() {
        int n = length();
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(n, 8); i++) {
            if (i > 0) sb.append(", ");
            sb.append(elementType == GgufValueType.STRING ? '"' + elementText(i) + '"' : elementText(i));
        }
        if (n > 8) sb.append(", ... (").append(n).append(" ").append(elementType.name().toLowerCase()).append(")");
        return sb.append(']').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufArray other && elementType == other.elementType
                && Arrays.deepEquals(new Object[]{elements}, new Object[]{other.elements});
    }

    @Override
    public int hashCode() { return elementType.hashCode() * 31 + Arrays.deepHashCode(new Object[]{elements}); }
}
