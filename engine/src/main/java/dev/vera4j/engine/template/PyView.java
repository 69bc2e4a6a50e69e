package dev.vera4j.engine.template;

import java.util.AbstractList;
import java.util.List;

/**
 * A snapshot of {@code dict.items()}, {@code keys()} or {@code values()}: iterable with a length, but (as in Python)
 * not indexable, not JSON serializable, and printed as {@code dict_items([...])}.
 */
final class PyView extends AbstractList<Object> {
    private final String kind;
    private final List<Object> items;

    PyView(String kind, List<Object> items) {
        this.kind = kind;
        this.items = items;
    }

    /** {@code dict_items}, {@code dict_keys} or {@code dict_values}. */
    String kind() { return kind; }

    @Override public Object get(int index) { return items.get(index); }

    @Override public int size() { return items.size(); }
}
