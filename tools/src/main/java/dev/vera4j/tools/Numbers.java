package dev.vera4j.tools;

import java.util.Locale;

/** Compact human-readable counts and sizes for CLI output. */
final class Numbers {
    private Numbers() {}

    /** {@code 292864 -> "292.9K"}, {@code 6738415616 -> "6.74B"}; below 1000 the number itself. */
    static String human(long n) {
        if (n < 1000) return Long.toString(n);
        String[] units = {"K", "M", "B", "T"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
        return String.format(Locale.ROOT, v >= 100 ? "%.1f%s" : "%.3g%s", v, units[u]);
    }

    /** {@code 1185376 -> "1.13 MiB"}. */
    static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.3g %s", v, units[u]);
    }
}
