package dev.vera4j.engine.template;

import java.util.List;
import java.util.Map;

/** Anything a template can call: macros, globals like {@code range}, bound methods like {@code str.strip}. */
@FunctionalInterface
interface PyCallable {
    Object call(List<Object> args, Map<String, Object> kwargs, int line);
}
