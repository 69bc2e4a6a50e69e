package dev.vera4j.engine.sample;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class SamplerTest {
    static final int V = 8;

    static SamplerSettings settings(float temp, int topK, float topP, float minP, float repeat, float presence, float freq, int lastN, long seed) {
        return new SamplerSettings(temp, topK, topP, minP, repeat, presence, freq, lastN, seed);
    }

    /** Logits whose softmax is {0.5, 0.3, 0.2, 0, ...}. */
    static float[] threeWay() {
        float[] l = new float[V];
        java.util.Arrays.fill(l, -1e9f);
        l[0] = (float) Math.log(0.5);
        l[1] = (float) Math.log(0.3);
        l[2] = (float) Math.log(0.2);
        return l;
    }

    static double[] frequencies(Sampler s, float[] logits, int draws) {
        double[] f = new double[V];
        for (int i = 0; i < draws; i++) f[s.sample(logits, 0)] += 1.0 / draws;
        return f;
    }

    @Test
    void greedyPicksArgmaxAndLeavesLogitsAlone() {
        float[] l = {0.1f, 3f, -2f, 2.9f, 0, 0, 0, 0};
        float[] copy = l.clone();
        Sampler s = new Sampler(SamplerSettings.GREEDY, V);
        assertEquals(1, s.sample(l, 0));
        assertArrayEquals(copy, l);
        float[] shifted = new float[V + 3];
        System.arraycopy(l, 0, shifted, 3, V);
        assertEquals(1, s.sample(shifted, 3));
    }

    @Test
    void repeatPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        float[] l = {2.0f, 1.9f, -1f, -1.1f, -5, -5, -5, -5};
        Sampler s = new Sampler(settings(0, 0, 1, 0, 1.2f, 0, 0, 64, 1), V);
        assertEquals(0, s.sample(l, 0));
        s.accept(0);
        assertEquals(1, s.sample(l, 0));   // 2.0 / 1.2 = 1.67 < 1.9
        float[] neg = {-1f, -1.1f, -5, -5, -5, -5, -5, -5};
        assertEquals(1, s.sample(neg, 0)); // -1 * 1.2 = -1.2 < -1.1
    }

    @Test
    void frequencyPenaltyCountsOccurrencesAndPresencePenaltyDoesNot() {
        float[] l = {2.0f, 1.85f, 0, 0, 0, 0, 0, 0};
        Sampler freq = new Sampler(settings(0, 0, 1, 0, 1, 0, 0.1f, 64, 1), V);
        freq.accept(0);
        assertEquals(0, freq.sample(l, 0));  // 1.9 > 1.85
        freq.accept(0);
        assertEquals(1, freq.sample(l, 0));  // 1.8 < 1.85
        Sampler presence = new Sampler(settings(0, 0, 1, 0, 1, 0.1f, 0, 64, 1), V);
        presence.accept(0, 0, 0, 0);
        assertEquals(0, presence.sample(l, 0)); // 1.9 however often it appeared
        Sampler both = new Sampler(settings(0, 0, 1, 0, 1, 0.1f, 0.06f, 64, 1), V);
        both.accept(0);
        assertEquals(1, both.sample(l, 0));     // 2.0 - 0.06 - 0.1 = 1.84 < 1.85: both apply
    }

    @Test
    void penaltiesOnlySeeTheLastNTokens() {
        float[] l = {2.0f, 1.9f, 0, 0, 0, 0, 0, 0};
        Sampler s = new Sampler(settings(0, 0, 1, 0, 1.5f, 0, 0, 2, 1), V);
        s.accept(0, 5);
        assertEquals(1, s.sample(l, 0));
        s.accept(6);                          // token 0 leaves the window
        assertEquals(0, s.sample(l, 0));
        s.accept(0);
        assertEquals(1, s.sample(l, 0));
        s.reset();
        assertEquals(0, s.sample(l, 0));
    }

    @Test
    void temperatureOneFollowsTheSoftmax() {
        double[] f = frequencies(new Sampler(settings(1, 0, 1, 0, 1, 0, 0, 0, 7), V), threeWay(), 40000);
        assertEquals(0.5, f[0], 0.015);
        assertEquals(0.3, f[1], 0.015);
        assertEquals(0.2, f[2], 0.015);
    }

    @Test
    void lowTemperatureSharpens() {
        // at T = 0.5 probabilities go as p^2: {0.25, 0.09, 0.04} / 0.38
        double[] f = frequencies(new Sampler(settings(0.5f, 0, 1, 0, 1, 0, 0, 0, 7), V), threeWay(), 40000);
        assertEquals(0.25 / 0.38, f[0], 0.015);
        assertEquals(0.09 / 0.38, f[1], 0.015);
        assertEquals(0.04 / 0.38, f[2], 0.015);
    }

    @Test
    void topKKeepsTheKBest() {
        float[] l = {0.3f, 0.1f, 0.5f, 0.2f, 0.4f, 0, 0.25f, 0.05f};
        double[] f = frequencies(new Sampler(settings(1, 2, 1, 0, 1, 0, 0, 0, 3), V), l, 5000);
        assertTrue(f[2] > 0.4 && f[4] > 0.4, java.util.Arrays.toString(f));
        assertEquals(1.0, f[2] + f[4], 1e-9);
        double[] one = frequencies(new Sampler(settings(5, 1, 1, 0, 1, 0, 0, 0, 3), V), l, 200);
        assertEquals(1.0, one[2], 1e-9);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        double[] f = frequencies(new Sampler(settings(1, 0, 0.7f, 0, 1, 0, 0, 0, 5), V), threeWay(), 20000);
        assertEquals(0, f[2]);
        assertEquals(0.5 / 0.8, f[0], 0.02);
        double[] only = frequencies(new Sampler(settings(1, 0, 0.45f, 0, 1, 0, 0, 0, 5), V), threeWay(), 500);
        assertEquals(1.0, only[0], 1e-9);
    }

    @Test
    void minPDropsTokensFarBelowTheBest() {
        double[] f = frequencies(new Sampler(settings(1, 0, 1, 0.5f, 1, 0, 0, 0, 9), V), threeWay(), 20000);
        assertEquals(0, f[2]);                       // 0.2 < 0.5 * 0.5
        assertEquals(0.5 / 0.8, f[0], 0.02);
        double[] all = frequencies(new Sampler(settings(1, 0, 1, 0.3f, 1, 0, 0, 0, 9), V), threeWay(), 20000);
        assertTrue(all[2] > 0.15);                   // 0.2 >= 0.3 * 0.5
    }

    @Test
    void equalSeedsGiveEqualSequences() {
        float[] l = {1, 1, 1, 1, 1, 1, 1, 1};
        SamplerSettings a = settings(1, 0, 1, 0, 1, 0, 0, 0, 1234);
        int[] first = new int[64], second = new int[64], other = new int[64];
        Sampler s1 = new Sampler(a, V), s2 = new Sampler(a, V), s3 = new Sampler(a.withSeed(99), V);
        for (int i = 0; i < 64; i++) { first[i] = s1.sample(l, 0); second[i] = s2.sample(l, 0); other[i] = s3.sample(l, 0); }
        assertArrayEquals(first, second);
        assertFalse(java.util.Arrays.equals(first, other));
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> settings(1, -1, 1, 0, 1, 0, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> settings(1, 0, 0, 0, 1, 0, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> settings(1, 0, 1, 2, 1, 0, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> settings(1, 0, 1, 0, 0, 0, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(SamplerSettings.GREEDY, V).accept(V));
    }
}
