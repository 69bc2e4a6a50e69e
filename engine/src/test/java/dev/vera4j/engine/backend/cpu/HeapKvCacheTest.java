package dev.vera4j.engine.backend.cpu;

import dev.vera4j.engine.kv.ContextOverflowException;
import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class HeapKvCacheTest {
    @Test
    void scoresAndMixesBothTypes() {
        for (KvType type : KvType.values()) {
            HeapKvCache c = HeapKvCache.allocate(type, 2, 4, 6);
            c.store(1, 0, new float[] {1, 2, 3, 4, 5, 6}, 0, new float[] {0.5f, -1, 2, 0.25f, 3, -2}, 0);
            c.store(1, 1, new float[] {0, 0, 0, 1, 1, 1}, 0, new float[] {0, 0, 0, 1, 1, 1}, 0);
            c.store(0, 0, new float[6], 0, new float[6], 0);
            c.advance(2);
            float[] q = {9, 1, 1, 1, 0, 0};
            float[] scores = new float[3];
            c.keyScores(1, 3, q, 1, 3, 0, 2, 0.5f, scores, 1);
            assertArrayEquals(new float[] {0, 0.5f * (4 + 5 + 6), 0.5f * 3}, scores, 1e-6f);
            float[] out = {7, 7, 7, 7};
            c.mixValues(1, 3, new float[] {0.25f, 0.75f}, 0, 0, 2, out, 1, 3);
            assertArrayEquals(new float[] {7, 0.25f * 0.25f + 0.75f, 0.25f * 3 + 0.75f, 0.25f * -2 + 0.75f}, out, 1e-6f);
            c.keyScores(0, 0, q, 0, 6, 0, 1, 1f, scores, 0);
            assertEquals(0, scores[0]);
            // a window of the last position only
            c.keyScores(1, 3, q, 1, 3, 1, 2, 0.5f, scores, 0);
            assertEquals(0.5f * 3, scores[0], 1e-6f);
            c.mixValues(1, 3, new float[] {2f}, 0, 1, 2, out, 0, 3);
            assertArrayEquals(new float[] {2, 2, 2}, java.util.Arrays.copyOf(out, 3), 1e-6f);
            assertEquals(type, c.type());
        }
    }

    @Test
    void headsCopyOutAsFloatsTransposedKeysAndValues() {
        for (KvType type : KvType.values()) {
            HeapKvCache c = HeapKvCache.allocate(type, 2, 4, 6);
            for (int p = 0; p < 3; p++) {
                float[] k = new float[6], v = new float[6];
                for (int i = 0; i < 6; i++) {
                    k[i] = 10 * p + i;
                    v[i] = -(10 * p + i) / 4f;
                }
                c.store(1, p, k, 0, v, 0);
            }
            float[] kt = new float[2 * 5], vs = new float[3 * 2 + 1];
            c.keysTransposed(1, 3, 2, 0, 3, kt, 5);
            assertArrayEquals(new float[] {3, 13, 23, 0, 0, 4, 14, 24, 0, 0}, kt, type.name());
            c.values(1, 3, 2, 0, 3, vs);
            assertArrayEquals(new float[] {-0.75f, -1, -3.25f, -3.5f, -5.75f, -6, 0}, vs, type.name());
            c.keysTransposed(1, 3, 2, 1, 3, kt, 5);
            assertArrayEquals(new float[] {13, 23, 23, 0, 0, 14, 24, 24, 0, 0}, kt, type.name() + " from position 1");
            c.values(1, 3, 2, 2, 3, vs);
            assertArrayEquals(new float[] {-5.75f, -6}, java.util.Arrays.copyOf(vs, 2), type.name() + " from position 2");
            var e = assertThrows(IllegalArgumentException.class, () -> c.keysTransposed(1, 5, 2, 0, 3, new float[10], 5));
            assertTrue(e.getMessage().contains("kvDim"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> c.values(1, 0, 2, 0, 3, new float[5]));
            assertThrows(IllegalArgumentException.class, () -> c.values(1, 0, 2, 3, 2, new float[5]));
        }
    }

    @Test
    void f16RoundsToHalfPrecision() {
        HeapKvCache c = HeapKvCache.allocate(KvType.F16, 1, 1, 2);
        c.store(0, 0, new float[] {1.0001f, 70000f}, 0, new float[2], 0);
        float[] s = new float[1];
        c.keyScores(0, 0, new float[] {1}, 0, 1, 0, 1, 1f, s, 0);
        assertEquals(1.0f, s[0]);
        c.keyScores(0, 1, new float[] {1}, 0, 1, 0, 1, 1f, s, 0);
        assertEquals(Float.POSITIVE_INFINITY, s[0]);
        assertEquals(2L * 1 * 1 * 2 * 2, KvCache.bytesFor(KvType.F16, 1, 1, 2));
    }

    @Test
    void overflowIsAClearErrorAndTruncateForgetsTheTail() {
        HeapKvCache c = HeapKvCache.allocate(KvType.F32, 1, 8, 2);
        c.advance(6);
        ContextOverflowException e = assertThrows(ContextOverflowException.class, () -> c.ensureRoom(3));
        assertEquals("3 more tokens do not fit in the context: 6 of 8 positions are in use (raise --ctx or shorten the prompt)", e.getMessage());
        assertEquals(6, e.used());
        assertEquals(8, e.capacity());
        assertThrows(ContextOverflowException.class, () -> c.advance(3));
        assertEquals(6, c.length());
        c.truncate(2);
        c.ensureRoom(6);
        assertThrows(IllegalArgumentException.class, () -> c.truncate(3));
        assertThrows(IllegalArgumentException.class, () -> HeapKvCache.allocate(KvType.F32, 1, 0, 2));
    }
}
