package dev.vera4j.vera.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** AdamW against {@code torch.optim.AdamW} ({@code train/adamw_reference.py}), and the LR schedules. */
class AdamWTest {
    static final double[][] TORCH = {
            {0.4895001, -0.23975005, -0.00999996667, 1.4985, -2.00799999},
            {0.494981674, -0.241136808, -0.0187163822, 1.48957695, -2.00546567},
            {0.49846671, -0.243128505, -0.0191815302, 1.47983152, -2.00521011}};

    @Test
    void matchesPyTorchAdamW() {
        float[] p = {0.5f, -0.25f, 0f, 1.5f, -2f}, g = new float[5];
        float[][] grads = {{0.1f, -0.2f, 0.3f, 0f, 1f}, {-0.5f, 0.25f, 0.1f, 0.2f, -1f}, {0.05f, 0.05f, -0.3f, 0.4f, 0.5f}};
        AdamW opt = new AdamW(new float[][] {p}, new float[][] {g}, new boolean[] {true}, new AdamW.Settings(0.9, 0.99, 1e-6, 0.1));
        for (int s = 0; s < 3; s++) {
            System.arraycopy(grads[s], 0, g, 0, 5);
            opt.step(0.01f, 123f);   // the λ_d rate must not be used for a λ_b array
            for (int i = 0; i < 5; i++) assertEquals(TORCH[s][i], p[i], 2e-6, "step " + (s + 1) + " value " + i);
        }
        assertEquals(3, opt.steps());
    }

    @Test
    void separateRatesForLambdaBAndLambdaD() {
        float[] b = {1f}, d = {1f};
        AdamW opt = new AdamW(new float[][] {b, d}, new float[][] {{1f}, {1f}}, new boolean[] {true, false}, AdamW.Settings.defaults());
        opt.step(0.1f, 0.01f);
        assertEquals(0.9f, b[0], 1e-6f);     // Adam's first step moves by lr·sign(g)
        assertEquals(0.99f, d[0], 1e-6f);
    }

    @Test
    void schedules() {
        Schedule c = new Schedule(Schedule.Kind.CONSTANT, 4, 100);
        assertEquals(0.2, c.factor(0), 1e-12);
        assertEquals(1.0, c.factor(3) + 0.2, 1e-12);
        assertEquals(1.0, c.factor(50), 1e-12);
        Schedule lin = new Schedule(Schedule.Kind.LINEAR, 0, 10);
        assertEquals(1.0, lin.factor(0), 1e-12);
        assertEquals(0.5, lin.factor(5), 1e-12);
        assertEquals(0.0, lin.factor(10), 1e-12);
        Schedule cos = new Schedule(Schedule.Kind.COSINE, 10, 110);
        assertEquals(1.0, cos.factor(10), 1e-12);
        assertEquals(0.5, cos.factor(60), 1e-12);
        assertEquals(0.0, cos.factor(110), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Schedule.Kind.parse("step"));
    }
}
