/**
 * Chat templates: a small Jinja interpreter that renders a model's {@code tokenizer.chat_template} exactly as
 * Hugging Face {@code apply_chat_template} does with Python jinja2 3.x.
 *
 * <p>Pipeline: {@code Lexer} (jinja2's whitespace rules with {@code trim_blocks} and {@code lstrip_blocks}) to
 * {@code Parser} (jinja2's grammar and precedence) to an AST of {@code Node}/{@code Expr} records, walked by
 * {@code Interpreter} with Python value semantics ({@code PyOps}, {@code PyArith}, {@code PyAccess}, {@code PyStr}),
 * jinja2's filters and tests, and HF's {@code tojson} ({@code PyJson}). The public entry point is
 * {@link dev.vera4j.engine.template.ChatTemplate}.
 *
 * <p>Conformance is checked against jinja2 itself: {@code src/test/resources/chat-templates/generate_expected.py}
 * renders every shared template and many small feature templates with jinja2 and the tests compare byte for byte.
 * Not supported (a {@link dev.vera4j.engine.template.TemplateException} names the line): template inheritance and
 * inclusion ({@code extends}, {@code include}, {@code import}), autoescaping, and Python integers beyond 64 bits.
 */
package dev.vera4j.engine.template;
