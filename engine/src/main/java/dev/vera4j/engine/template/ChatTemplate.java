package dev.vera4j.engine.template;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed Jinja chat template ({@code tokenizer.chat_template}) that renders conversations exactly like Hugging Face
 * {@code apply_chat_template} with Python jinja2: {@code trim_blocks} and {@code lstrip_blocks} on, loop controls,
 * {@code tojson} as {@code json.dumps}, and the globals {@code raise_exception} and {@code strftime_now}.
 *
 * <pre>{@code
 * ChatTemplate t = ChatTemplate.parse(source);          // or ChatTemplate.named("chatml")
 * String prompt = t.render(List.of(new ChatMessage("user", "Hi")), true,
 *         Map.of("bos_token", "<s>", "eos_token", "</s>"));
 * }</pre>
 *
 * <p>As in Hugging Face, the variables {@code tools} and {@code documents} are defined (as {@code None}) unless
 * given. Instances are immutable and thread-safe.
 */
public final class ChatTemplate {
    private final String source;
    private final List<Node> body;
    private final Clock clock;

    private ChatTemplate(String source, List<Node> body, Clock clock) {
        this.source = source;
        this.body = body;
        this.clock = clock;
    }

    /**
     * Parses template source.
     *
     * @throws TemplateException naming the line of a syntax error or unknown tag
     */
    public static ChatTemplate parse(String source) {
        if (source == null) throw new TemplateException(0, "chat template source is null");
        return new ChatTemplate(source, Parser.parse(source), Clock.systemDefaultZone());
    }

    /** A built-in template: {@code "chatml"}, {@code "llama-2"} or {@code "llama-3"}. */
    public static ChatTemplate named(String name) {
        return parse(NamedTemplates.source(name));
    }

    /** Names accepted by {@link #named}. */
    public static List<String> names() { return NamedTemplates.NAMES; }

    /** The same template with {@code strftime_now} reading this clock (tests pin the date with a fixed clock). */
    public ChatTemplate withClock(Clock clock) { return new ChatTemplate(source, body, clock); }

    /** The template text. */
    public String source() { return source; }

    /**
     * Renders a conversation.
     *
     * @param extraVariables e.g. {@code bos_token}, {@code eos_token}, {@code tools}, {@code date_string}; may be null
     * @throws TemplateRaisedException when the template rejects the conversation ({@code raise_exception})
     * @throws TemplateException for any other rendering error, naming the template line
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extraVariables) {
        List<Map<String, Object>> maps = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) maps.add(m.toMap());
        return renderMessages(maps, addGenerationPrompt, extraVariables);
    }

    /**
     * Renders messages given as JSON-like maps, for turns with more than role and content
     * (e.g. {@code tool_calls}, {@code tool_call_id}). {@code messages} and {@code add_generation_prompt} always come
     * from the arguments, whatever {@code extraVariables} holds.
     */
    public String renderMessages(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> extraVariables) {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("tools", null);
        vars.put("documents", null);
        if (extraVariables != null) vars.putAll(extraVariables);
        vars.put("messages", messages);
        vars.put("add_generation_prompt", addGenerationPrompt);
        return renderVariables(vars);
    }

    /** Renders with exactly these top-level variables (no defaults added). */
    public String renderVariables(Map<String, ?> variables) {
        return new Interpreter(() -> LocalDateTime.now(clock)).render(body, variables);
    }
}
