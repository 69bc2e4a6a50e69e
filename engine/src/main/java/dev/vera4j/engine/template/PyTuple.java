package dev.vera4j.engine.template;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/** An immutable Python tuple: behaves as a list but prints as {@code (a, b)}. */
final class PyTuple extends AbstractList<Object> implements RandomAccess {
    private final Object[] items;

    PyTuple(Object... items) { this.items = items.clone(); }

    PyTuple(List<?> items) { this.items = items.toArray(); }

    @Override public Object get(int index) { return items[index]; }

    @Override public int size() { return items.length; }
}
