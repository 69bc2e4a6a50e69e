package dev.vera4j.vera;

import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.LowRankUpdate;
import dev.vera4j.simd.FloatRows;
import java.lang.management.ManagementFactory;
import java.util.HashSet;
import java.util.Set;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The Vector API hook against the scalar double reference {@link VeraDelta}. */
class VeraAdapterTest {
    static final EnumSet<VeraTarget> ALL = TestAdapters.DENSE;

    /** Δy of {@code n} tokens by the reference, rows moved to the base's order for q/k of a llama base. */
    static double[] reference(AdapterFile f, VeraSite site, float[] x, int xOff, int n) {
        BaseFingerprint base = f.base();
        Projections p = f.resolveProjections();
        int in = base.inputs(site.target()), out = base.outputs(site.target());
        double[] dy = VeraDelta.apply(p.view(in, out), f.lambdas().get(site), x, xOff, n);
        boolean permute = QkPermutation.appliesTo(base.architecture())
                && (site.target() == VeraTarget.Q || site.target() == VeraTarget.K);
        if (!permute) return dy;
        double[] moved = new double[dy.length];
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < out; o++) moved[t * out + QkPermutation.ggufRow(o, base.headDim())] = dy[t * out + o];
        }
        return moved;
    }

    static void assertClose(double[] expected, float[] actual, int off, String what) {
        for (int i = 0; i < expected.length; i++) {
            double tol = 1e-5 * Math.max(1, Math.abs(expected[i]));
            assertEquals(expected[i], actual[off + i], tol, what + " [" + i + "]");
        }
    }

    @Test
    void everySiteMatchesScalarReferenceForLlamaAndQwen() {
        for (String arch : new String[] {"llama", "qwen2"}) {
            BaseFingerprint base = TestAdapters.tinyBase(arch);
            AdapterFile f = TestAdapters.random(base, ALL, 8, 42);
            AdapterWeights w = AdapterWeights.prepare(f, base, "test", false);
            try (dev.vera4j.simd.WorkerPool pool = new dev.vera4j.simd.WorkerPool(3)) {
            for (VeraAdapter hook : new VeraAdapter[] {new VeraAdapter(w, 5, 1f), new VeraAdapter(w, 5, 1f, pool, 0)}) {
            Random r = new Random(1);
            for (VeraSite site : f.lambdas().keySet()) {
                int in = base.inputs(site.target()), out = base.outputs(site.target());
                for (int n : new int[] {1, 3, 5}) {
                    float[] x = TestAdapters.randomFloats(r, 2 + n * in);
                    float[] y = new float[1 + n * out];
                    hook.addDelta(new LinearSite(site.layer(), LinearSite.Kind.valueOf(site.target().name())), x, 2, y, 1, n, in, out);
                    assertClose(reference(f, site, x, 2, n), y, 1, arch + " " + site + " n=" + n);
                    assertEquals(0f, y[0]);
                }
            }
            }
            }
        }
    }

    @Test
    void sharedInputProductIsReusedOnlyWithinAGroup() {
        BaseFingerprint base = TestAdapters.tinyBase("llama");
        AdapterFile f = TestAdapters.random(base, EnumSet.of(VeraTarget.K, VeraTarget.V, VeraTarget.GATE, VeraTarget.UP), 4, 7);
        VeraAdapter hook = new VeraAdapter(AdapterWeights.prepare(f, base, "test", false), 2, 1f);
        Random r = new Random(2);
        float[] x = TestAdapters.randomFloats(r, 2 * 16);
        for (int layer = 0; layer < 2; layer++) {
            for (int pass = 0; pass < 2; pass++) {
                // as the transformer does: q (not adapted), k, v on one buffer, then gate, up on the same buffer refilled
                for (LinearSite.Kind k : new LinearSite.Kind[] {LinearSite.Kind.Q, LinearSite.Kind.K, LinearSite.Kind.V}) {
                    int out = k == LinearSite.Kind.Q ? 16 : 8;
                    float[] y = new float[2 * out];
                    hook.addDelta(new LinearSite(layer, k), x, 0, y, 0, 2, 16, out);
                    if (k != LinearSite.Kind.Q) {
                        assertClose(reference(f, new VeraSite(layer, VeraTarget.valueOf(k.name())), x, 0, 2), y, 0, layer + " " + k);
                    }
                }
                System.arraycopy(TestAdapters.randomFloats(r, x.length), 0, x, 0, x.length);
                for (LinearSite.Kind k : new LinearSite.Kind[] {LinearSite.Kind.GATE, LinearSite.Kind.UP}) {
                    float[] y = new float[2 * 24];
                    hook.addDelta(new LinearSite(layer, k), x, 0, y, 0, 2, 16, 24);
                    assertClose(reference(f, new VeraSite(layer, VeraTarget.valueOf(k.name())), x, 0, 2), y, 0, layer + " " + k);
                }
                hook.addDelta(LinearSite.output(), x, 0, new float[2 * 10], 0, 2, 16, 10);
                System.arraycopy(TestAdapters.randomFloats(r, x.length), 0, x, 0, x.length);
            }
        }
    }

    @Test
    void weightScalesTheDelta() {
        BaseFingerprint base = TestAdapters.tinyBase("llama");
        AdapterFile f = TestAdapters.random(base, ALL, 8, 5);
        AdapterWeights w = AdapterWeights.prepare(f, base, "test", false);
        float[] x = TestAdapters.randomFloats(new Random(4), 24);
        float[] full = new float[24], half = new float[24], none = new float[24];
        LinearSite up = new LinearSite(1, LinearSite.Kind.UP);
        new VeraAdapter(w, 1, 1f).addDelta(up, x, 0, full, 0, 1, 16, 24);
        new VeraAdapter(w, 1, 0.5f).addDelta(up, x, 0, half, 0, 1, 16, 24);
        new VeraAdapter(w, 1, 0f).addDelta(up, x, 0, none, 0, 1, 16, 24);
        for (int i = 0; i < 24; i++) {
            assertEquals(full[i] * 0.5f, half[i], 1e-6f * Math.max(1, Math.abs(full[i])));
            assertEquals(0f, none[i]);
        }
    }

    @Test
    void allocatesNothingPerCall() {
        BaseFingerprint base = TestAdapters.tinyBase("llama");
        AdapterWeights w = AdapterWeights.prepare(TestAdapters.random(base, ALL, 8, 9), base, "test", false);
        try (dev.vera4j.simd.WorkerPool pool = new dev.vera4j.simd.WorkerPool(2)) {
            assertNoAllocation(base, new VeraAdapter(w, 4, 1f), 20_000, 1000);
            assertNoAllocation(base, new VeraAdapter(w, 4, 1f, pool, 0), 3000, 200);
        }
    }

    /** Fewer than one byte per call on average: any per-call allocation would be at least 16. */
    static void assertNoAllocation(BaseFingerprint base, VeraAdapter hook, int warmUp, int measured) {
        float[] x = TestAdapters.randomFloats(new Random(5), 4 * 24);
        float[] y = new float[4 * 24];
        LinearSite[] sites = new LinearSite[7];
        for (int k = 0; k < 7; k++) sites[k] = new LinearSite(k % 2, LinearSite.Kind.values()[k]);
        Runnable pass = () -> {
            for (LinearSite s : sites) {
                VeraTarget t = VeraTarget.valueOf(s.kind().name());
                hook.addDelta(s, x, 0, y, 0, 4, base.inputs(t), base.outputs(t));
            }
        };
        for (int i = 0; i < warmUp; i++) pass.run();   // let the JIT finish with these paths
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < measured; i++) pass.run();
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 7L * measured, 7 * measured + " calls allocated " + allocated + " bytes");
    }

    @Test
    void rejectsWrongShapesAndTooManyTokens() {
        BaseFingerprint base = TestAdapters.tinyBase("llama");
        VeraAdapter hook = new VeraAdapter(AdapterWeights.prepare(TestAdapters.random(base, ALL, 4, 1), base, "t", false), 2, 1f);
        LinearSite q = new LinearSite(0, LinearSite.Kind.Q);
        assertThrows(IllegalArgumentException.class, () -> hook.addDelta(q, new float[64], 0, new float[64], 0, 3, 16, 16));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> hook.addDelta(q, new float[64], 0, new float[64], 0, 1, 16, 12));
        assertTrue(e.getMessage().contains("16 x 16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VeraAdapter(hook.weights(), 0, 1f));
        assertThrows(IllegalArgumentException.class, () -> new VeraAdapter(hook.weights(), 1, Float.NaN));
    }

    @Test
    void kernelsMatchScalarLoops() {
        Random r = new Random(11);
        for (int n : new int[] {0, 1, 7, 8, 15, 16, 33, 100, 257}) {
            float[] a = TestAdapters.randomFloats(r, n + 3), b = TestAdapters.randomFloats(r, n + 5);
            double s = 0;
            for (int j = 0; j < n; j++) s += (double) a[3 + j] * b[5 + j];
            assertEquals(s, VeraKernels.dot(a, 3, b, 5, n), 1e-5 * Math.max(1, Math.sqrt(n)));
            float[] y = b.clone();
            VeraKernels.axpy(0.75f, a, 3, y, 5, n);
            for (int j = 0; j < n; j++) assertEquals(b[5 + j] + 0.75f * a[3 + j], y[5 + j], 1e-6f);
            for (int j = 0; j < 5; j++) assertEquals(b[j], y[j]);
            float[] z = b.clone();
            VeraKernels.addScaledProduct(-1.5f, a, 3, b, 1, z, 2, n);
            for (int j = 0; j < n; j++) assertEquals(b[2 + j] + -1.5f * a[3 + j] * b[1 + j], z[2 + j], 1e-5f * Math.max(1, Math.abs(z[2 + j])));
            assertEquals(b[0], z[0]);
        }
    }

    /**
     * What a device backend would compute from {@link VeraAdapter#lowRank()} (scalar, in double) equals what the hook
     * adds on the CPU, at every adapted site of a llama base (q/k rows permuted) and a qwen2 one; the terms cover
     * exactly the adapted sites and share one A array, which a device uploads once.
     */
    @Test
    void lowRankDescribesWhatTheHookAdds() {
        record Case(BaseFingerprint base, EnumSet<VeraTarget> targets) {}
        List<Case> cases = List.of(
                new Case(TestAdapters.tinyBase("llama"), EnumSet.of(VeraTarget.Q, VeraTarget.K, VeraTarget.UP, VeraTarget.DOWN)),
                new Case(TestAdapters.tinyBase("qwen2"), EnumSet.of(VeraTarget.Q, VeraTarget.K, VeraTarget.UP, VeraTarget.DOWN)),
                // Phi-3's fused modules: one term per part (q, k, v; gate, up), each with its rows of B and λ_b
                new Case(TestAdapters.tinyBase("phi3"), EnumSet.of(VeraTarget.QKV, VeraTarget.GATE_UP, VeraTarget.O)),
                new Case(TestAdapters.tinyMoeBase("qwen2moe"), EnumSet.of(VeraTarget.Q, VeraTarget.GATE_EXP, VeraTarget.DOWN_EXP, VeraTarget.UP_SHEXP)),
                new Case(TestAdapters.tinyMoeBase("llama"), EnumSet.of(VeraTarget.K, VeraTarget.W1, VeraTarget.W2)));
        for (Case c : cases) {
            BaseFingerprint base = c.base();
            String arch = base.architecture();
            AdapterFile f = TestAdapters.random(base, c.targets(), 8, 9);
            VeraAdapter hook = new VeraAdapter(AdapterWeights.prepare(f, base, "test", false), 3, 0.7f);
            LowRankUpdate update = hook.lowRank();
            assertEquals(f.lambdas().keySet().stream().mapToInt(k -> k.target().kinds().size()).sum(), update.terms().size());
            Set<float[]> aArrays = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            Set<LinearSite> sites = new HashSet<>();
            Random r = new Random(3);
            for (LowRankUpdate.Term term : update.terms()) {
                assertTrue(sites.add(term.site()), "one term per site");
                assertTrue(f.lambdas().keySet().stream().anyMatch(k -> k.layer() == term.site().layer() && k.expert() == term.site().expert()
                        && k.target().kinds().contains(term.site().kind())), term.site() + " is an adapted site's part");
                aArrays.add(term.a().data());
                int in = term.in(), out = term.out(), n = 3;
                float[] x = TestAdapters.randomFloats(r, n * in);
                float[] y = new float[n * out];
                hook.addDelta(term.site(), x, 0, y, 0, n, in, out);
                assertClose(apply(term, x, n), y, 0, arch + " " + term.site());
            }
            assertEquals(1, aArrays.size(), "every term reads the one shared A");
        }
    }

    /** {@code scale · λ_b ⊙ (B · (λ_d ⊙ (A · x)))} for {@code n} rows, in double. */
    static double[] apply(LowRankUpdate.Term t, float[] x, int n) {
        FloatRows a = t.a(), bt = t.bt();
        double[] dy = new double[n * t.out()];
        for (int row = 0; row < n; row++) {
            for (int i = 0; i < t.rank(); i++) {
                double ax = 0;
                for (int c = 0; c < t.in(); c++) ax += (double) a.data()[a.offset() + i * a.stride() + c] * x[row * t.in() + c];
                double h = ax * t.lambdaD()[i];
                for (int o = 0; o < t.out(); o++) dy[row * t.out() + o] += bt.data()[bt.offset() + i * bt.stride() + o] * h;
            }
            for (int o = 0; o < t.out(); o++) dy[row * t.out() + o] *= (double) t.scale() * t.lambdaB()[o];
        }
        return dy;
    }
}
