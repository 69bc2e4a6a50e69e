package dev.vera4j.cuda;

import java.util.Locale;

/** Byte counts for messages and listings: {@code 1536 -> "1.5 KiB"}, {@code 150323855360 -> "140.0 GiB"}. */
final class Bytes {
    private Bytes() {}

    static String format(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
