package dev.vera4j.engine.api;

import dev.vera4j.engine.template.ChatMessage;
import dev.vera4j.engine.template.ChatTemplate;
import dev.vera4j.engine.template.ModelChatTemplate;
import dev.vera4j.engine.tokenizer.Tokenizer;
import dev.vera4j.gguf.GgufMetadata;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a conversation into token ids: with a chat template (the model's {@code tokenizer.chat_template} or a named
 * one), or, for models without one, as plain text where each message continues the previous one. The template is
 * parsed once; an instance is immutable and thread-safe (a server renders every request's {@code messages} with one).
 *
 * <pre>{@code
 * ChatFormat f = ChatFormat.forModel(model, null);
 * int[] ids = f.encode(List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi")), true);
 * }</pre>
 */
public final class ChatFormat {
    /** The name that selects plain continuation even when the model has a template. */
    static final String PLAIN = "plain";

    private final ChatTemplate template;   // null: plain continuation
    private final String name;
    private final Tokenizer tokenizer;
    private final Map<String, Object> variables = new HashMap<>();

    private ChatFormat(ChatTemplate template, String name, Tokenizer tokenizer, GgufMetadata metadata) {
        this.template = template;
        this.name = name;
        this.tokenizer = tokenizer;
        putToken(metadata, "tokenizer.ggml.bos_token_id", "bos_token");
        putToken(metadata, "tokenizer.ggml.eos_token_id", "eos_token");
    }

    /**
     * The model's own template when {@code requested} is null, else a named template ({@link ChatTemplate#names()}),
     * {@code plain}, or the path of a Jinja file.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static ChatFormat forModel(Model model, String requested) {
        GgufMetadata md = model.metadata();
        if (requested == null) {
            if (md.has("tokenizer.chat_template")) {
                return new ChatFormat(ChatTemplate.parse(md.getString("tokenizer.chat_template")), "model", model.tokenizer(), md);
            }
            return new ChatFormat(null, PLAIN, model.tokenizer(), md);
        }
        if (requested.equals(PLAIN)) return new ChatFormat(null, PLAIN, model.tokenizer(), md);
        if (!ChatTemplate.names().contains(requested)) {
            if (!Files.isRegularFile(Path.of(requested))) {
                throw new IllegalArgumentException("unknown chat template '" + requested + "' (known: " + PLAIN + ", "
                        + String.join(", ", ChatTemplate.names()) + ", or a Jinja file)");
            }
            // a Jinja file, as `vera4j template` and `train` take
            return new ChatFormat(ModelChatTemplate.fromFile(requested), Path.of(requested).getFileName().toString(), model.tokenizer(), md);
        }
        return new ChatFormat(ChatTemplate.named(requested), requested, model.tokenizer(), md);
    }

    private void putToken(GgufMetadata md, String key, String variable) {
        if (!md.has(key)) return;
        long id = md.getLong(key);
        if (id >= 0 && id < tokenizer.vocabSize()) variables.put(variable, tokenizer.piece((int) id));
    }

    /** {@code plain}, {@code model} (the model's own template), the name of a built-in template or a template file's name. */
    public String name() { return name; }

    boolean isPlain() { return template == null; }

    /** The text of the conversation, ending with the assistant's turn header when {@code addGenerationPrompt}. */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (template != null) return template.render(messages, addGenerationPrompt, variables);
        StringBuilder sb = new StringBuilder();
        for (ChatMessage m : messages) {
            String c = m.content() == null ? "" : m.content();
            // continuation text keeps words apart without doubling spaces the model already produced
            if (!sb.isEmpty() && !c.isEmpty() && !Character.isWhitespace(sb.charAt(sb.length() - 1))
                    && !Character.isWhitespace(c.charAt(0))) sb.append(' ');
            sb.append(c);
        }
        return sb.toString();
    }

    /**
     * The ids of {@link #render}, with BOS added by the tokenizer unless the template already wrote it.
     *
     * @throws dev.vera4j.engine.template.TemplateException if the template rejects the conversation
     */
    public int[] encode(List<ChatMessage> messages, boolean addGenerationPrompt) {
        String text = render(messages, addGenerationPrompt);
        Object bos = variables.get("bos_token");
        boolean templateWroteBos = template != null && bos instanceof String b && !b.isEmpty() && text.startsWith(b);
        return tokenizer.encode(text, !templateWroteBos, true);
    }
}
