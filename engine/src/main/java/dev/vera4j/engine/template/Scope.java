package dev.vera4j.engine.template;

import java.util.HashMap;
import java.util.Map;

/** Variables of one template frame; lookups fall back to the enclosing frame. */
final class Scope {
    private final Map<String, Object> vars = new HashMap<>();
    private final Scope parent;

    Scope(Scope parent) { this.parent = parent; }

    Object lookup(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            if (s.vars.containsKey(name)) return s.vars.get(name);
        }
        return Undefined.name(name);
    }

    void set(String name, Object value) { vars.put(name, value); }
}
