package dev.vera4j.engine.template;

import dev.vera4j.gguf.GgufMetadata;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template together with the BOS/EOS token strings it expects, as Hugging Face passes them.
 *
 * <pre>{@code
 * ModelChatTemplate t = ModelChatTemplate.of(gguf.metadata(), null);        // tokenizer.chat_template
 * ModelChatTemplate c = ModelChatTemplate.of(gguf.metadata(), "chatml");    // or a built-in / a .jinja file
 * String prompt = t.render(List.of(new ChatMessage("user", "Hi")), true);
 * }</pre>
 */
public record ModelChatTemplate(ChatTemplate template, String bosToken, String eosToken) {
    /** The GGUF metadata key holding the Jinja source. */
    public static final String METADATA_KEY = "tokenizer.chat_template";

    /**
     * The template to use for a model.
     *
     * @param override null for the model's own template, else a built-in name ({@link ChatTemplate#names()}) or a
     *                 path to a Jinja file
     * @throws TemplateException when the model has no template and no override is given (the message says how to
     *                           pick one), or when the template does not parse
     * @throws IllegalArgumentException when the override is neither a built-in name nor a file
     */
    public static ModelChatTemplate of(GgufMetadata md, String override) {
        ChatTemplate template;
        if (override != null) {
            template = ChatTemplate.names().contains(override) ? ChatTemplate.named(override) : fromFile(override);
        } else if (md.has(METADATA_KEY)) {
            template = ChatTemplate.parse(md.getString(METADATA_KEY));
        } else {
            throw new TemplateException(0, "the model has no " + METADATA_KEY + "; choose one of "
                    + String.join(", ", ChatTemplate.names()) + " or a Jinja file");
        }
        return new ModelChatTemplate(template, tokenText(md, "tokenizer.ggml.bos_token_id"), tokenText(md, "tokenizer.ggml.eos_token_id"));
    }

    /**
     * Parses the Jinja template in the file at {@code path}.
     *
     * @throws IllegalArgumentException when it is neither a built-in name nor a file (the message lists the names)
     * @throws TemplateException        when the template does not parse
     */
    public static ChatTemplate fromFile(String path) {
        Path file = Path.of(path);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("chat template '" + path + "' is neither a built-in template ("
                    + String.join(", ", ChatTemplate.names()) + ") nor a file");
        }
        try {
            return ChatTemplate.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read chat template " + path + ": " + e.getMessage(), e);
        }
    }

    /** The token string at the id stored under {@code idKey}, or null when the model has none. */
    private static String tokenText(GgufMetadata md, String idKey) {
        if (!md.has(idKey) || !md.has("tokenizer.ggml.tokens")) return null;
        long id = md.getLong(idKey);
        String[] tokens = md.getStringArray("tokenizer.ggml.tokens");
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException(idKey + " = " + id + " is outside the vocabulary of " + tokens.length + " tokens");
        }
        return tokens[(int) id];
    }

    /** Renders with {@code bos_token}/{@code eos_token} set (unless {@code extraVariables} sets them). */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> extraVariables) {
        Map<String, Object> vars = new LinkedHashMap<>();
        if (bosToken != null) vars.put("bos_token", bosToken);
        if (eosToken != null) vars.put("eos_token", eosToken);
        if (extraVariables != null) vars.putAll(extraVariables);
        return template.renderMessages(messages, addGenerationPrompt, vars);
    }

    /** Renders plain role/content turns. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages.stream().map(ChatMessage::toMap).toList(), addGenerationPrompt, Map.of());
    }
}
