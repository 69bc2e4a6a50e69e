package dev.vera4j.engine.template;

import java.util.Iterator;

/**
 * A one-shot lazy iterator, as jinja2's {@code map}, {@code select}, {@code items}... filters return: always truthy,
 * no length, not JSON serializable, and empty once consumed.
 */
final class PyGenerator {
    private final String name;
    private final Iterator<Object> it;

    PyGenerator(String name, Iterator<Object> it) {
        this.name = name;
        this.it = it;
    }

    Iterator<Object> iterator() { return it; }

    String name() { return name; }

    @Override public String toString() { return "<generator object " + name + ">"; }
}
