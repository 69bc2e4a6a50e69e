package dev.vera4j.engine.template;

import java.util.LinkedHashMap;
import java.util.Map;

/** jinja2's {@code namespace()}: the one object whose attributes {@code {% set ns.x = ... %}} may assign. */
final class Namespace {
    final Map<String, Object> attributes = new LinkedHashMap<>();

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("<Namespace {");
        boolean first = true;
        for (var e : attributes.entrySet()) {
            if (!first) sb.append(", ");
            first = false;
            sb.append(PyStr.repr(e.getKey())).append(": ").append(PyOps.repr(e.getValue()));
        }
        return sb.append("}>").toString();
    }
}
