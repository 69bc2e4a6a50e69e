package dev.vera4j.engine.tokenizer;

import java.util.Arrays;

/**
 * An open-addressing hash map from byte strings to ids, looked up by a range of a byte array so that tokenizer hot
 * loops never build a String or copy bytes.
 *
 * <pre>{@code
 * ByteStringTable t = new ByteStringTable(16);
 * t.putIfAbsent("ab".getBytes(UTF_8), 7);
 * int id = t.get(buf, off, 2);   // 7, or -1 when absent
 * }</pre>
 */
final class ByteStringTable {
    private byte[][] keys;
    private int[] values;
    private int[] hashes;
    private int size;
    private int mask;
    private int maxKeyLength;

    ByteStringTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new byte[cap][];
        values = new int[cap];
        hashes = new int[cap];
        mask = cap - 1;
    }

    int size() { return size; }

    /** Length in bytes of the longest key, so callers can skip lookups that cannot succeed. */
    int maxKeyLength() { return maxKeyLength; }

    static int hash(byte[] b, int off, int len) {
        int h = 0x811c9dc5;
        for (int i = off, end = off + len; i < end; i++) h = (h ^ b[i]) * 0x01000193;
        return h ^ (h >>> 15);
    }

    /** The id stored for {@code b[off, off+len)}, or -1. */
    int get(byte[] b, int off, int len) {
        if (len > maxKeyLength) return -1;
        int h = hash(b, off, len);
        for (int i = h & mask; ; i = (i + 1) & mask) {
            byte[] k = keys[i];
            if (k == null) return -1;
            if (hashes[i] == h && k.length == len && Arrays.equals(k, 0, len, b, off, off + len)) return values[i];
        }
    }

    int get(byte[] key) { return get(key, 0, key.length); }

    /** Stores {@code key -> value} unless the key is present; returns the value now stored. */
    int putIfAbsent(byte[] key, int value) {
        if ((size + 1) * 2 > keys.length) grow();
        int h = hash(key, 0, key.length);
        for (int i = h & mask; ; i = (i + 1) & mask) {
            byte[] k = keys[i];
            if (k == null) {
                keys[i] = key;
                values[i] = value;
                hashes[i] = h;
                size++;
                maxKeyLength = Math.max(maxKeyLength, key.length);
                return value;
            }
            if (hashes[i] == h && Arrays.equals(k, key)) return values[i];
        }
    }

    private void grow() {
        byte[][] oldKeys = keys;
        int[] oldValues = values;
        keys = new byte[oldKeys.length * 2][];
        values = new int[keys.length];
        hashes = new int[keys.length];
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) if (oldKeys[i] != null) putIfAbsent(oldKeys[i], oldValues[i]);
    }
}
