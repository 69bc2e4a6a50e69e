package dev.vera4j.engine.template;

/**
 * The template itself rejected its input by calling {@code raise_exception(message)}, as Hugging Face templates do
 * for unsupported conversations (e.g. a system message where the model has none).
 */
public final class TemplateRaisedException extends TemplateException {
    private final String templateMessage;

    public TemplateRaisedException(int line, String templateMessage) {
        super(line, "template raised: " + templateMessage);
        this.templateMessage = templateMessage;
    }

    /** The message exactly as the template passed it to {@code raise_exception}. */
    public String templateMessage() { return templateMessage; }
}
