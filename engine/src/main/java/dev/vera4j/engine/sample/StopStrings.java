package dev.vera4j.engine.sample;

import java.util.List;

/**
 * Watches streamed text for stop strings. Text that might be the start of a stop string is held back until it is
 * known not to be, so a caller never prints part of a stop string; the stop string itself is never emitted.
 *
 * <pre>{@code
 * StopStrings stop = new StopStrings(List.of("\nUser:"));
 * out.print(stop.accept(piece));       // what is safe to show now
 * if (stop.stopped()) break;
 * out.print(stop.flush());             // at the end: what was held back
 * }</pre>
 */
public final class StopStrings {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private String matched;

    public StopStrings(List<String> stops) {
        for (String s : stops) if (s == null || s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
        this.stops = List.copyOf(stops);
    }

    /** Adds generated text; returns the part that is safe to emit (empty once stopped). */
    public String accept(String text) {
        if (matched != null) return "";
        pending.append(text);
        int cut = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) { cut = i; matched = s; }
        }
        if (cut >= 0) {
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        int hold = 0;
        for (String s : stops) hold = Math.max(hold, overlap(s));
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return out;
    }

    /** The longest suffix of the pending text that is a proper prefix of {@code stop}. */
    private int overlap(String stop) {
        int max = Math.min(stop.length() - 1, pending.length());
        for (int len = max; len > 0; len--) {
            if (endsWithPrefix(stop, len)) return len;
        }
        return 0;
    }

    private boolean endsWithPrefix(String stop, int len) {
        int base = pending.length() - len;
        for (int i = 0; i < len; i++) if (pending.charAt(base + i) != stop.charAt(i)) return false;
        return true;
    }

    /** Whether a stop string has appeared. */
    public boolean stopped() { return matched != null; }

    /** The stop string that appeared, or {@code null}. */
    public String matched() { return matched; }

    /** Returns the held-back text (none once stopped) at the end of generation. */
    public String flush() {
        String out = matched == null ? pending.toString() : "";
        pending.setLength(0);
        return out;
    }
}
