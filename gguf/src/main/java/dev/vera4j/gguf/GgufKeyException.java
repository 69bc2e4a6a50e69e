package dev.vera4j.gguf;

/** A metadata key that is missing or holds a value of another type than the caller needs. */
public class GgufKeyException extends RuntimeException {
    public GgufKeyException(String message) { super(message); }
}
