package dev.vera4j.server;

/** The two generating endpoints: their wire formats differ, their request handling does not. */
enum Endpoint {
    /** {@code POST /v1/chat/completions}: {@code messages}, answers as {@code chat.completion}. */
    CHAT("chat.completion", "chatcmpl-", "messages"),
    /** {@code POST /v1/completions}: a raw {@code prompt}, answers as {@code text_completion}. */
    TEXT("text_completion", "cmpl-", "prompt");

    /** The response's {@code object}. */
    final String object;
    /** Prefix of response ids. */
    final String idPrefix;
    /** The field that holds the prompt, named in context-length errors. */
    final String promptField;

    Endpoint(String object, String idPrefix, String promptField) {
        this.object = object;
        this.idPrefix = idPrefix;
        this.promptField = promptField;
    }
}
