package dev.vera4j.engine.template;

import java.util.List;

/** The {@code loop} variable inside {@code {% for %}}: index, first/last, neighbours, cycle(). */
final class LoopContext {
    private final List<Object> items;
    private final int depth0;
    int index0;
    private Object lastChanged = Undefined.name("changed");

    LoopContext(List<Object> items, int depth0) {
        this.items = items;
        this.depth0 = depth0;
    }

    Object attribute(String name) {
        int n = items.size();
        return switch (name) {
            case "index" -> (long) index0 + 1;
            case "index0" -> (long) index0;
            case "revindex" -> (long) (n - index0);
            case "revindex0" -> (long) (n - index0 - 1);
            case "first" -> index0 == 0;
            case "last" -> index0 == n - 1;
            case "length" -> (long) n;
            case "depth" -> (long) depth0 + 1;
            case "depth0" -> (long) depth0;
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : new Undefined("there is no previous item");
            case "nextitem" -> index0 + 1 < n ? items.get(index0 + 1) : new Undefined("there is no next item");
            case "cycle" -> (PyCallable) (args, kwargs, line) -> {
                if (args.isEmpty()) throw new TemplateException(line, "no items for cycling given");
                return args.get(index0 % args.size());
            };
            case "changed" -> (PyCallable) (args, kwargs, line) -> {
                Object value = args.size() == 1 ? args.getFirst() : new PyTuple(args);
                if (!PyOps.eq(value, lastChanged) || lastChanged instanceof Undefined) {
                    lastChanged = value;
                    return true;
                }
                return false;
            };
            default -> Undefined.attribute(this, name);
        };
    }

    @Override public String toString() { return "<LoopContext " + (index0 + 1) + "/" + items.size() + ">"; }
}
