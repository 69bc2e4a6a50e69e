package dev.vera4j.simd;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vector kernels against their scalar double-precision references on random data, lengths with and without tails. */
class KernelsTest {
    static final int[] SIZES = {1, 7, 16, 33, 64, 100, 2048, 2051};
    final Random rnd = new Random(11);

    float[] random(int n, int pad) {
        float[] v = new float[n + pad];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 3);
        return v;
    }

    static void close(float[] want, float[] got, double rel, String what) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            double tol = rel * Math.max(1, Math.abs(want[i]));
            assertTrue(Math.abs(want[i] - got[i]) <= tol, what + " [" + i + "]: want " + want[i] + ", got " + got[i]);
        }
    }

    @Test
    void elementwise() {
        for (int n : SIZES) {
            int off = 3;
            float[] a = random(n, off), b = random(n, off);
            float[] r = a.clone(), v = a.clone();
            Elementwise.addReference(r, off, b, off, n);
            Elementwise.add(v, off, b, off, n);
            close(r, v, 1e-6, "add n=" + n);
            r = a.clone(); v = a.clone();
            Elementwise.mulReference(r, off, b, off, n);
            Elementwise.mul(v, off, b, off, n);
            close(r, v, 1e-6, "mul n=" + n);
            r = a.clone(); v = a.clone();
            Elementwise.scaleReference(r, off, n, 0.37f);
            Elementwise.scale(v, off, n, 0.37f);
            close(r, v, 1e-6, "scale n=" + n);
            r = a.clone(); v = a.clone();
            Elementwise.axpyReference(-1.5f, b, off, r, off, n);
            Elementwise.axpy(-1.5f, b, off, v, off, n);
            close(r, v, 1e-5, "axpy n=" + n);
            double want = Elementwise.dotReference(a, off, b, off, n), mag = 0;
            for (int i = 0; i < n; i++) mag += Math.abs((double) a[off + i] * b[off + i]);
            float got = Elementwise.dot(a, off, b, off, n);
            assertTrue(Math.abs(want - got) <= 1e-5 * mag, "dot n=" + n + ": want " + want + ", got " + got);
            // untouched prefix
            assertEquals(a[0], v[0]);
        }
    }

    @Test
    void rmsNormFromArrayAndSegment() {
        try (Arena arena = Arena.ofConfined()) {
            for (int n : SIZES) {
                float[] x = random(n, 2), w = random(n, 0);
                float[] want = new float[n + 1], got = new float[n + 1], gotSeg = new float[n + 1];
                Norms.rmsNormReference(want, 1, x, 2, w, 0, n, 1e-5f);
                Norms.rmsNorm(got, 1, x, 2, w, 0, n, 1e-5f);
                MemorySegment seg = arena.allocate(4L * n);
                for (int i = 0; i < n; i++) seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i, w[i]);
                Norms.rmsNorm(gotSeg, 1, x, 2, seg, n, 1e-5f);
                close(want, got, 2e-6, "rmsNorm n=" + n);
                close(want, gotSeg, 2e-6, "rmsNorm(segment) n=" + n);
            }
            var e = assertThrows(IllegalArgumentException.class, () -> Norms.rmsNorm(new float[8], 0, new float[8], 0, arena.allocate(16), 8, 1e-5f));
            assertTrue(e.getMessage().contains("norm weight"), e.getMessage());
        }
    }

    @Test
    void rmsNormOfKnownVector() {
        float[] out = new float[2];
        Norms.rmsNorm(out, 0, new float[]{3, 4}, 0, new float[]{1, 2}, 0, 2, 0f);
        double s = 1 / Math.sqrt(12.5);
        assertEquals(3 * s, out[0], 1e-6);
        assertEquals(8 * s, out[1], 1e-6);
    }

    @Test
    void softmax() {
        for (int n : SIZES) {
            float[] x = random(n, 1);
            float[] want = x.clone(), got = x.clone();
            Softmax.softmaxReference(want, 1, n);
            Softmax.softmax(got, 1, n);
            close(want, got, 1e-5, "softmax n=" + n);
            double sum = 0;
            for (int i = 1; i <= n; i++) sum += got[i];
            assertEquals(1, sum, 1e-4);
        }
        float[] big = {1000, 1000, -1000};
        Softmax.softmax(big, 0, 3);
        assertEquals(0.5f, big[0], 1e-6);
        assertEquals(0f, big[2]);
    }

    @Test
    void activations() {
        for (int n : SIZES) {
            float[] x = random(n, 2), up = random(n, 2);
            float[] want = x.clone(), got = x.clone();
            Activations.siluReference(want, 2, n);
            Activations.silu(got, 2, n);
            close(want, got, 1e-5, "silu n=" + n);
            want = x.clone();
            got = x.clone();
            Activations.swigluReference(want, 2, up, 2, n);
            Activations.swiglu(got, 2, up, 2, n);
            close(want, got, 1e-5, "swiglu n=" + n);
        }
        float[] edge = {-100f, 100f, 0f};
        Activations.silu(edge, 0, 3);
        assertEquals(0f, edge[0], 1e-30);
        assertEquals(100f, edge[1]);
        assertEquals(0f, edge[2]);
    }

    @Test
    void ropeBothModesAgainstReference() {
        for (Rope.Mode mode : Rope.Mode.values()) {
            for (int headDim : new int[]{8, 64, 128, 34}) {
                for (int rotDim : new int[]{headDim, headDim / 2 % 2 == 0 ? headDim / 2 : headDim}) {
                    float[] factors = new float[rotDim / 2];
                    for (int i = 0; i < factors.length; i++) factors[i] = 1 + i % 3;
                    float[] inv = Rope.inverseFrequencies(rotDim, 10000f, 0.5f, factors);
                    for (float magnitude : new float[] {1f, 1.19f}) {
                        Rope rope = new Rope(mode, headDim, inv, magnitude);
                        for (int pos : new int[]{0, 1, 17, 4095}) {
                            float[] x = random(3 * headDim, 5);
                            float[] want = x.clone(), got = x.clone();
                            Rope.applyReference(mode, want, 5, 3, headDim, pos, inv, magnitude);
                            rope.position(pos);
                            rope.apply(got, 5, 3);
                            close(want, got, 2e-5, mode + " headDim=" + headDim + " rot=" + rotDim + " pos=" + pos + " magnitude=" + magnitude);
                            if (rotDim < headDim) assertEquals(x[5 + headDim - 1], got[5 + headDim - 1], "pass-through dimensions keep their size");
                        }
                    }
                }
            }
        }
    }

    @Test
    void ropeRotatesTheDocumentedPairs() {
        float[] inv = {1f, 0.5f};
        float[] norm = {1, 0, 1, 0}, neox = {1, 1, 0, 0};
        Rope r = new Rope(Rope.Mode.NORM, 4, inv);
        r.position(1);
        r.apply(norm, 0, 1);
        assertEquals((float) Math.cos(1), norm[0], 1e-6);
        assertEquals((float) Math.sin(1), norm[1], 1e-6);
        assertEquals((float) Math.cos(0.5), norm[2], 1e-6);
        assertEquals((float) Math.sin(0.5), norm[3], 1e-6);
        Rope n = new Rope(Rope.Mode.NEOX, 4, inv);
        n.position(1);
        n.apply(neox, 0, 1);
        assertEquals((float) Math.cos(1), neox[0], 1e-6);
        assertEquals((float) Math.cos(0.5), neox[1], 1e-6);
        assertEquals((float) Math.sin(1), neox[2], 1e-6);
        assertEquals((float) Math.sin(0.5), neox[3], 1e-6);
        float[] f = Rope.inverseFrequencies(4, 100f, 1f, null);
        assertEquals(1f, f[0]);
        assertEquals(0.1f, f[1], 1e-7);
        assertThrows(IllegalArgumentException.class, () -> new Rope(Rope.Mode.NORM, 2, inv));
        assertThrows(IllegalStateException.class, () -> new Rope(Rope.Mode.NORM, 4, inv).apply(new float[4], 0, 1));
    }
}
