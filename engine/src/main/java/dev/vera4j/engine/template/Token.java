package dev.vera4j.engine.template;

/** One lexer token; {@code value} is the text (for STRING the unescaped value). */
record Token(Type type, String value, int line) {
    enum Type { DATA, VARIABLE_BEGIN, VARIABLE_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INTEGER, FLOAT, OPERATOR, EOF }

    boolean is(Type t, String v) { return type == t && value.equals(v); }

    boolean isName(String v) { return is(Type.NAME, v); }

    boolean isOp(String v) { return is(Type.OPERATOR, v); }

    @Override public String toString() {
        return switch (type) {
            case EOF -> "end of template";
            case DATA -> "template data";
            case VARIABLE_BEGIN -> "'{{'";
            case VARIABLE_END -> "'}}'";
            case BLOCK_BEGIN -> "'{%'";
            case BLOCK_END -> "'%}'";
            case STRING -> "string";
            default -> "'" + value + "'";
        };
    }
}
