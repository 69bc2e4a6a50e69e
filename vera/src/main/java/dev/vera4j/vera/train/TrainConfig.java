package dev.vera4j.vera.train;

/**
 * How to train: optimizer steps, examples per step ({@code batch} sequences per micro-batch times {@code accum}
 * micro-batches, all averaged into one update), learning rates for λ_b and λ_d with their schedule, AdamW settings,
 * gradient clipping by global norm ({@code 0}: none), and how often to evaluate and save ({@code 0}: only at the end).
 *
 * <pre>{@code
 * TrainConfig cfg = new TrainConfig(200, 8, 1, 1e-2, 1e-2, new Schedule(Schedule.Kind.CONSTANT, 0, 200),
 *         AdamW.Settings.defaults(), 1.0, 50, 100, 0);
 * }</pre>
 */
public record TrainConfig(int steps, int batch, int accum, double lrB, double lrD, Schedule schedule,
                          AdamW.Settings adam, double clip, int evalEvery, int saveEvery, long seed) {
    public TrainConfig {
        if (steps < 1) throw new IllegalArgumentException("steps must be positive, got " + steps);
        if (batch < 1 || accum < 1) throw new IllegalArgumentException("batch and accumulation must be positive, got " + batch + ", " + accum);
        if (!(lrB >= 0) || !(lrD >= 0)) throw new IllegalArgumentException("learning rates must be non-negative, got " + lrB + ", " + lrD);
        if (!(clip >= 0)) throw new IllegalArgumentException("clip must be non-negative, got " + clip);
        if (evalEvery < 0 || saveEvery < 0) throw new IllegalArgumentException("--eval-every and --save-every must be non-negative");
    }

    /** Examples one optimizer step consumes. */
    public int examplesPerStep() { return batch * accum; }
}
