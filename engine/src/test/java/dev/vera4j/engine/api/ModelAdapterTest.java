package dev.vera4j.engine.api;

import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.LowRankUpdate;
import dev.vera4j.simd.FloatRows;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@link ModelAdapter#combine}: the combined hook adds every adapter's {@code Δy} and describes all their terms. */
class ModelAdapterTest {
    /** An adapter whose hook adds {@code scale · x[0]} to every output of one site, and says so as a rank-1 term. */
    record Constant(LinearSite at, float scale, boolean describes) implements ModelAdapter {
        @Override
        public String name() { return at.toString(); }

        @Override
        public LinearHook newHook(Path modelPath, int maxTokens) {
            return new LinearHook() {
                @Override
                public void addDelta(LinearSite site, float[] x, int xOff, float[] y, int yOff, int n, int in, int out) {
                    if (!site.equals(at)) return;
                    for (int t = 0; t < n; t++) for (int o = 0; o < out; o++) y[yOff + t * out + o] += scale * x[xOff + t * in];
                }

                @Override
                public LowRankUpdate lowRank() {
                    if (!describes) return null;
                    float[] a = {1, 0}, bt = {1, 1, 1};   // A picks x[0], B spreads it over 3 outputs
                    return new LowRankUpdate(List.of(new LowRankUpdate.Term(at, scale, new FloatRows(a, 0, 2, 1, 2),
                            new FloatRows(bt, 0, 3, 1, 3), new float[] {1}, new float[] {1, 1, 1})));
                }
            };
        }
    }

    @Test
    void combinedHooksAddEveryDeltaAndDescribeEveryTerm() {
        LinearSite q0 = new LinearSite(0, LinearSite.Kind.Q), v1 = new LinearSite(1, LinearSite.Kind.V);
        ModelAdapter both = ModelAdapter.combine(List.of(new Constant(q0, 2f, true), new Constant(v1, 3f, true), new Constant(q0, 5f, true)));
        assertEquals("0.q + 1.v + 0.q", both.name());
        LinearHook hook = both.newHook(Path.of("model.gguf"), 4);
        float[] y = new float[3];
        hook.addDelta(q0, new float[] {1, 9}, 0, y, 0, 1, 2, 3);
        assertArrayEquals(new float[] {7, 7, 7}, y);
        LowRankUpdate u = hook.lowRank();
        assertEquals(List.of(q0, v1, q0), u.terms().stream().map(LowRankUpdate.Term::site).toList());
        assertEquals(3, u.terms().get(0).out());
        ModelAdapter opaque = ModelAdapter.combine(List.of(new Constant(q0, 2f, true), new Constant(v1, 3f, false)));
        assertNull(opaque.newHook(Path.of("model.gguf"), 4).lowRank(), "a hook that is only code makes the whole only code");
    }

    @Test
    void termsMustFitTogether() {
        var e = assertThrows(IllegalArgumentException.class, () -> new LowRankUpdate.Term(LinearSite.output(), 1f,
                new FloatRows(new float[4], 0, 2, 2, 2), new FloatRows(new float[3], 0, 3, 1, 3), new float[2], new float[3]));
        assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
    }
}
