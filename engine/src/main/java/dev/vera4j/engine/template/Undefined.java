package dev.vera4j.engine.template;

/**
 * jinja2's default {@code Undefined}: prints as empty, is falsy, iterates as empty, and fails (with {@code hint})
 * when used in arithmetic, compared for order, or when one of its attributes or items is read.
 */
record Undefined(String hint) {
    TemplateException error(int line) { return new TemplateException(line, hint); }

    static Undefined name(String name) { return new Undefined("'" + name + "' is undefined"); }

    static Undefined attribute(Object owner, Object attr) {
        return new Undefined(PyOps.typeDescription(owner) + " has no attribute " + PyStr.repr(String.valueOf(attr)));
    }
}
