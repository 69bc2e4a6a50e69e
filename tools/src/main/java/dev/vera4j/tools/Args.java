package dev.vera4j.tools;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parsed command-line options. Unknown flags are rejected, never ignored; numeric values are validated.
 *
 * <pre>{@code
 * Args a = new Args.Spec()
 *         .value("model", "-m", "--model")
 *         .value("n", "-n", "--n-predict")
 *         .flag("json", "--json")
 *         .parse(argv);
 * Path model = a.requirePath("model");
 * int n = a.getInt("n", 64, 0, 1 << 20);
 * }</pre>
 */
public final class Args {
    private final Map<String, List<String>> values;
    private final Map<String, String> spelling;   // name -> the flag as the user wrote it, for messages
    private final List<String> positional;

    private Args(Map<String, List<String>> values, Map<String, String> spelling, List<String> positional) {
        this.values = values;
        this.spelling = spelling;
        this.positional = positional;
    }

    /** Declares options: each has a canonical name and one or more spellings. */
    public static final class Spec {
        private final Map<String, String> names = new HashMap<>();
        private final Map<String, Boolean> takesValue = new HashMap<>();
        private final Map<String, String> display = new LinkedHashMap<>();

        /** An option followed by a value ({@code -m FILE} or {@code --model=FILE}); may repeat. */
        public Spec value(String name, String... spellings) { return add(name, true, spellings); }

        /** A boolean switch. */
        public Spec flag(String name, String... spellings) { return add(name, false, spellings); }

        private Spec add(String name, boolean value, String... spellings) {
            for (String s : spellings) names.put(s, name);
            takesValue.put(name, value);
            display.put(name, spellings[spellings.length - 1]);
            return this;
        }

        /** @throws UsageException on an unknown flag or a missing value */
        public Args parse(String[] argv) {
            Map<String, List<String>> values = new HashMap<>();
            Map<String, String> spelling = new HashMap<>();
            List<String> positional = new ArrayList<>();
            boolean onlyPositional = false;
            for (int i = 0; i < argv.length; i++) {
                String a = argv[i];
                if (onlyPositional || !a.startsWith("-") || a.equals("-") || isNumber(a)) {
                    positional.add(a);
                    continue;
                }
                if (a.equals("--")) { onlyPositional = true; continue; }
                String flag = a, inline = null;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) { flag = a.substring(0, eq); inline = a.substring(eq + 1); }
                String name = names.get(flag);
                if (name == null) throw new UsageException("unknown option '" + flag + "'");
                spelling.put(name, flag);
                if (takesValue.get(name)) {
                    String v = inline;
                    if (v == null) {
                        if (i + 1 >= argv.length) throw new UsageException("option " + flag + " needs a value");
                        v = argv[++i];
                    }
                    values.computeIfAbsent(name, k -> new ArrayList<>()).add(v);
                } else {
                    if (inline != null) throw new UsageException("option " + flag + " takes no value");
                    values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
                }
            }
            return new Args(values, spelling, positional);
        }

        private static boolean isNumber(String s) {
            return s.length() > 1 && (Character.isDigit(s.charAt(1)) || s.charAt(1) == '.');
        }
    }

    public boolean has(String name) { return values.containsKey(name); }

    /** The flag as the command line spelled it ({@code -n} or {@code --n-predict}), for messages about its value. */
    public String flag(String name) { return spelling.getOrDefault(name, "--" + name); }

    /** The last value given for {@code name}, or {@code null}. */
    public String get(String name) {
        List<String> v = values.get(name);
        return v == null ? null : v.getLast();
    }

    public String get(String name, String fallback) { String v = get(name); return v == null ? fallback : v; }

    /** Every value of a repeatable option, in order. */
    public List<String> all(String name) { return values.getOrDefault(name, List.of()); }

    public String require(String name, String flag) {
        String v = get(name);
        if (v == null) throw new UsageException("missing " + flag);
        return v;
    }

    public Path requirePath(String name, String flag) { return Path.of(require(name, flag)); }

    public int getInt(String name, int fallback, int min, int max) {
        String v = get(name);
        if (v == null) return fallback;
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) throw new UsageException(flag(name) + " must be between " + min + " and " + max + ", got " + n);
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(flag(name) + " expects an integer, got '" + v + "'");
        }
    }

    public long getLong(String name, long fallback) {
        String v = get(name);
        if (v == null) return fallback;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(flag(name) + " expects an integer, got '" + v + "'");
        }
    }

    public double getDouble(String name, double fallback, double min, double max) {
        String v = get(name);
        if (v == null) return fallback;
        try {
            double d = Double.parseDouble(v.trim());
            if (!(d >= min && d <= max)) throw new UsageException(flag(name) + " must be between " + min + " and " + max + ", got " + v);
            return d;
        } catch (NumberFormatException e) {
            throw new UsageException(flag(name) + " expects a number, got '" + v + "'");
        }
    }

    /** Positional arguments, in order. */
    public List<String> positional() { return positional; }
}
