package dev.vera4j.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order, with typed accessors that fail with a clear message.
 *
 * <pre>{@code
 * int layers = meta.getInt("llama.block_count");
 * float eps = meta.getFloat("llama.attention.layer_norm_rms_epsilon");
 * String[] tokens = meta.getStringArray("tokenizer.ggml.tokens");
 * int ctx = meta.getIntOr("llama.context_length", 2048);
 * }</pre>
 */
public final class GgufMetadata {
    private final Map<String, GgufValue> values;

    public GgufMetadata(Map<String, GgufValue> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** All entries in file order. */
    public Map<String, GgufValue> asMap() { return values; }

    public Set<String> keys() { return values.keySet(); }

    public boolean has(String key) { return values.containsKey(key); }

    /** The raw value, or {@code null}. */
    public GgufValue get(String key) { return values.get(key); }

    private GgufValue require(String key) {
        GgufValue v = values.get(key);
        if (v == null) throw new GgufKeyException("metadata key '" + key + "' is missing");
        return v;
    }

    private GgufKeyException wrongType(String key, GgufValue v, String wanted) {
        return new GgufKeyException("metadata key '" + key + "' is " + v.type().name().toLowerCase() + ", expected " + wanted);
    }

    /** An integer value of any integer type. */
    public long getLong(String key) {
        GgufValue v = require(key);
        if (!v.type().isInteger()) throw wrongType(key, v, "an integer");
        return (Long) v.value();
    }

    /** An integer value that fits in an int. */
    public int getInt(String key) {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new GgufKeyException("metadata key '" + key + "' = " + v + " does not fit in an int");
        }
        return (int) v;
    }

    public int getIntOr(String key, int fallback) { return has(key) ? getInt(key) : fallback; }

    public long getLongOr(String key, long fallback) { return has(key) ? getLong(key) : fallback; }

    /** A float32 or float64 value (integers are accepted too). */
    public double getDouble(String key) {
        GgufValue v = require(key);
        return switch (v.value()) {
            case Float f -> f;
            case Double d -> d;
            case Long l when v.type().isInteger() -> l;
            default -> throw wrongType(key, v, "a number");
        };
    }

    public float getFloat(String key) { return (float) getDouble(key); }

    public float getFloatOr(String key, float fallback) { return has(key) ? getFloat(key) : fallback; }

    public boolean getBoolean(String key) {
        GgufValue v = require(key);
        if (v.type() != GgufValueType.BOOL) throw wrongType(key, v, "a bool");
        return (Boolean) v.value();
    }

    public boolean getBooleanOr(String key, boolean fallback) { return has(key) ? getBoolean(key) : fallback; }

    public String getString(String key) {
        GgufValue v = require(key);
        if (v.type() != GgufValueType.STRING) throw wrongType(key, v, "a string");
        return (String) v.value();
    }

    public String getStringOr(String key, String fallback) { return has(key) ? getString(key) : fallback; }

    public GgufArray getArray(String key) {
        GgufValue v = require(key);
        if (v.type() != GgufValueType.ARRAY) throw wrongType(key, v, "an array");
        return (GgufArray) v.value();
    }

    private GgufArray getArrayOf(String key, String wanted, GgufValueType... types) {
        GgufArray a = getArray(key);
        for (GgufValueType t : types) if (a.elementType() == t) return a;
        throw new GgufKeyException("metadata key '" + key + "' is an array of " + a.elementType().name().toLowerCase() + ", expected " + wanted);
    }

    /** An array of strings (the array itself, not a copy). */
    public String[] getStringArray(String key) {
        return (String[]) getArrayOf(key, "strings", GgufValueType.STRING).elements();
    }

    /** An array of float32 values (the array itself, not a copy). */
    public float[] getFloatArray(String key) {
        return (float[]) getArrayOf(key, "float32 values", GgufValueType.FLOAT32).elements();
    }

    /** An array of 32-bit integers, signed or unsigned (the array itself, not a copy). */
    public int[] getIntArray(String key) {
        GgufArray a = getArrayOf(key, "integers", GgufValueType.INT32, GgufValueType.UINT32, GgufValueType.INT8,
                GgufValueType.UINT8, GgufValueType.INT16, GgufValueType.UINT16, GgufValueType.INT64, GgufValueType.UINT64);
        if (a.elements() instanceof int[] ints) return ints;
        int[] out = new int[a.length()];
        for (int i = 0; i < out.length; i++) {
            long v = a.getLong(i);
            if (v != (int) v) throw new GgufKeyException("metadata key '" + key + "'[" + i + "] = " + v + " does not fit in an int");
            out[i] = (int) v;
        }
        return out;
    }

    @Override
    public String toString() { return values.toString(); }
}
