package dev.vera4j.tools.chat;

import dev.vera4j.engine.api.GenerateOptions;

import java.util.Locale;

/**
 * The sampling settings of a chat REPL, changed one at a time by {@code /set NAME VALUE}.
 *
 * <pre>{@code
 * Sampling s = new Sampling();
 * s.set("temp", "0.7");
 * chat.options(s.options());
 * }</pre>
 */
public final class Sampling {
    /** The names {@link #set} knows, for help texts. */
    public static final String NAMES = "temp, top-k, top-p, min-p, repeat-penalty, seed, n";

    private float temperature = 0.8f, topP = 0.95f, minP = 0.05f, repeatPenalty = 1f;
    private int topK = 40, maxTokens = 256;
    private Long seed;

    /**
     * Changes one setting.
     *
     * @throws IllegalArgumentException naming the setting and the accepted range on a bad name or value
     */
    public void set(String name, String value) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "temp", "temperature" -> temperature = (float) number(name, value, 0, 100);
            case "top-k" -> topK = (int) integer(name, value, 0, Integer.MAX_VALUE);
            case "top-p" -> topP = (float) number(name, value, 1e-9, 1);
            case "min-p" -> minP = (float) number(name, value, 0, 1);
            case "repeat-penalty" -> repeatPenalty = (float) number(name, value, 1e-6, 100);
            case "seed" -> seed = integer(name, value, Long.MIN_VALUE, Long.MAX_VALUE);
            case "n", "n-predict" -> maxTokens = (int) integer(name, value, -1, 1 << 24);
            default -> throw new IllegalArgumentException("unknown setting '" + name + "' (known: " + NAMES + ")");
        }
    }

    /** Options for the next answer: a fresh random seed each time unless one was set. */
    public GenerateOptions options() {
        GenerateOptions.Builder b = GenerateOptions.builder().maxTokens(maxTokens < 0 ? Integer.MAX_VALUE : maxTokens)
                .temperature(temperature).topK(topK).topP(topP).minP(minP).repeatPenalty(repeatPenalty);
        if (seed != null) b.seed(seed);
        return b.build();
    }

    /** One line describing the settings. */
    public String describe() {
        return String.format(Locale.ROOT, "temp %s, top-k %d, top-p %s, min-p %s, repeat-penalty %s, seed %s, n %d",
                temperature, topK, topP, minP, repeatPenalty, seed == null ? "random" : seed.toString(), maxTokens);
    }

    private static double number(String name, String v, double min, double max) {
        double d;
        try {
            d = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " expects a number, got '" + v + "'");
        }
        if (!(d >= min && d <= max)) throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + v);
        return d;
    }

    private static long integer(String name, String v, long min, long max) {
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " expects an integer, got '" + v + "'");
        }
        if (n < min || n > max) throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + v);
        return n;
    }
}
