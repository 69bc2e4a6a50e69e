package dev.vera4j.engine.tokenizer;

/** A vocabulary that cannot be loaded or used (unknown tokenizer model, bad metadata, missing byte token, ...). */
public class TokenizerException extends RuntimeException {
    public TokenizerException(String message) { super(message); }
}
