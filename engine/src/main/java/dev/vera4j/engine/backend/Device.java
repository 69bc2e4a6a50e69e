package dev.vera4j.engine.backend;

import java.util.Locale;

/**
 * Where a model computes: {@code cpu}, or an accelerator of a kind that a {@link BackendProvider} serves, such as
 * {@code cuda:0}. Written on the command line as {@code --device cpu|cuda|cuda:N}; a kind without an index means its
 * first device.
 *
 * <pre>{@code
 * Device.parse("cuda:1")   // Device[kind=cuda, index=1]
 * Device.parse("cpu")      // Device.CPU
 * }</pre>
 *
 * @param kind  the backend's name, lower case ({@code cpu}, {@code cuda}, ...)
 * @param index which device of that kind, from 0
 */
public record Device(String kind, int index) {
    /** The built-in Vector API backend. */
    public static final Device CPU = new Device("cpu", 0);

    public Device {
        if (kind == null || !kind.matches("[a-z][a-z0-9_]*")) throw new IllegalArgumentException("bad device kind '" + kind + "'");
        if (index < 0) throw new IllegalArgumentException("device index must be >= 0, got " + index);
    }

    /**
     * {@code KIND} or {@code KIND:N}, e.g. {@code cpu}, {@code cuda}, {@code cuda:1}.
     *
     * @throws IllegalArgumentException with a one-line message if {@code spec} is not of that form
     */
    public static Device parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        int colon = s.indexOf(':');
        String kind = colon < 0 ? s : s.substring(0, colon);
        if (!kind.matches("[a-z][a-z0-9_]*")) throw new IllegalArgumentException("bad device '" + spec + "': expected cpu, cuda or cuda:N");
        if (colon < 0) return kind.equals("cpu") ? CPU : new Device(kind, 0);
        String index = s.substring(colon + 1);
        if (!index.matches("[0-9]{1,6}")) throw new IllegalArgumentException("bad device '" + spec + "': the index after ':' must be a number");
        if (kind.equals("cpu") && !index.equals("0")) throw new IllegalArgumentException("bad device '" + spec + "': there is one cpu device, cpu");
        return new Device(kind, Integer.parseInt(index));
    }

    public boolean isCpu() { return kind.equals("cpu"); }

    @Override
    public String toString() { return isCpu() ? kind : kind + ":" + index; }
}
