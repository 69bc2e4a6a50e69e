package dev.vera4j.engine.template;

/**
 * A string marked safe ({@code |safe}, {@code |escape}). Even with autoescaping off, Python's
 * {@code Markup + str} HTML-escapes the plain operand, which some templates rely on unknowingly.
 */
record Markup(String value) {
    @Override public String toString() { return value; }
}
