package dev.vera4j.vera.train;

import java.util.Locale;

/**
 * A learning-rate multiplier per optimizer step: a linear warm-up from 0 over {@code warmup} steps, then constant,
 * linear decay to 0 at {@code total}, or cosine decay to 0 at {@code total}.
 *
 * <pre>{@code
 * Schedule s = new Schedule(Schedule.Kind.COSINE, 10, 200);
 * float lr = 1e-2f * s.factor(step);   // step 0 is the first update
 * }</pre>
 */
public record Schedule(Kind kind, int warmup, int total) {
    public enum Kind {
        CONSTANT, LINEAR, COSINE;

        /** Parses {@code constant}, {@code linear} or {@code cosine}. */
        public static Kind parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown schedule '" + s + "': expected constant, linear or cosine");
            }
        }
    }

    public Schedule {
        if (kind == null) throw new IllegalArgumentException("schedule kind is null");
        if (warmup < 0 || total < 1) throw new IllegalArgumentException("warm-up " + warmup + " and total " + total + " steps must be >= 0 and >= 1");
    }

    /** The multiplier of step {@code step} (0-based), in [0, 1]. */
    public double factor(long step) {
        if (step < warmup) return (step + 1.0) / (warmup + 1.0);
        if (kind == Kind.CONSTANT || total <= warmup) return 1.0;
        double progress = Math.min(1.0, (double) (step - warmup) / (total - warmup));
        return kind == Kind.LINEAR ? 1.0 - progress : 0.5 * (1.0 + Math.cos(Math.PI * progress));
    }
}
