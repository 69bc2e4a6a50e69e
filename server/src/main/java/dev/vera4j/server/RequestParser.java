package dev.vera4j.server;

import dev.vera4j.engine.api.ChatFormat;
import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.template.ChatMessage;
import dev.vera4j.engine.template.TemplateException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns an OpenAI request body into a {@link CompletionRequest}: resolves the model id, renders {@code messages} with
 * the chat template or tokenizes {@code prompt}, maps the sampling fields onto {@link GenerateOptions} and checks that
 * prompt and {@code max_tokens} fit the context. Every problem is an {@link ApiException} naming the field.
 *
 * <pre>{@code
 * RequestParser p = new RequestParser(model, catalog, null, 2048);
 * CompletionRequest r = p.parse(Endpoint.TEXT, Map.of("model", "stories260K", "prompt", "Once upon a time"));
 * }</pre>
 *
 * Sampling defaults are llama.cpp's (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05); {@code top_k}, {@code min_p},
 * {@code repeat_penalty} and {@code ignore_eos} (for benchmarks) are accepted as llama-server accepts them.
 */
final class RequestParser {
    private final Model model;
    private final ModelCatalog catalog;
    private final ChatFormat format;
    private final int contextLength;

    /**
     * @param template a built-in chat template name, or {@code null} for the model's own
     * @throws IllegalArgumentException for an unknown template name
     */
    RequestParser(Model model, ModelCatalog catalog, String template, int contextLength) {
        this.model = model;
        this.catalog = catalog;
        this.format = ChatFormat.forModel(model, template);
        this.contextLength = contextLength;
    }

    CompletionRequest parse(Endpoint endpoint, Map<String, Object> body) {
        JsonFields f = new JsonFields(body);
        String modelId = f.requiredString("model");
        ModelCatalog.Entry entry = catalog.resolve(modelId);
        if (entry == null) {
            throw ApiException.notFound("model", "model_not_found", "The model `" + modelId + "` does not exist or you do not have access to it.");
        }
        if (f.integer("n", 1, 1, Integer.MAX_VALUE) != 1) {
            throw ApiException.invalid("n", "invalid_value", "Invalid value for 'n': only n = 1 is supported.");
        }
        int[] prompt = endpoint == Endpoint.CHAT ? chatPrompt(f) : textPrompt(f);
        long maxTokens = f.has("max_completion_tokens") ? f.integer("max_completion_tokens", -1, 1, Integer.MAX_VALUE)
                : f.integer("max_tokens", -1, 1, Integer.MAX_VALUE);
        checkContext(endpoint, prompt.length, maxTokens);

        GenerateOptions.Builder b = GenerateOptions.builder()
                .maxTokens(maxTokens < 0 ? Integer.MAX_VALUE : (int) maxTokens)
                .temperature((float) f.number("temperature", 0.8, 0, 2))
                .topP((float) f.number("top_p", 0.95, 0, 1))
                .topK((int) f.integer("top_k", 40, 0, Integer.MAX_VALUE))
                .minP((float) f.number("min_p", 0.05, 0, 1))
                .repeatPenalty((float) f.number("repeat_penalty", 1.0, 0.01, 100))
                .presencePenalty((float) f.number("presence_penalty", 0, -2, 2))
                .frequencyPenalty((float) f.number("frequency_penalty", 0, -2, 2));
        if (f.has("top_p") && f.number("top_p", 1, 0, 1) == 0) b.topP(Float.MIN_VALUE);   // 0 keeps the most likely token only
        if (f.has("seed")) b.seed(f.integer("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE));
        if (f.bool("ignore_eos", false)) b.ignoreEndOfGeneration();
        List<String> stop = f.stringOrStrings("stop", 16);
        for (String s : stop) if (s.isEmpty()) throw ApiException.invalid("stop", "invalid_value", "Invalid value for 'stop': stop strings must not be empty.");
        b.stopStrings(stop);

        int logprobs = logprobs(endpoint, f);
        boolean stream = f.bool("stream", false);
        boolean includeUsage = f.object("stream_options").bool("include_usage", false);
        String echo = endpoint == Endpoint.TEXT && f.bool("echo", false) ? model.tokenizer().decode(prompt) : null;
        GenerateOptions options = b.build();
        // loaded last, so that a request with a bad field costs no adapter load
        return new CompletionRequest(endpoint, modelId, catalog.adapter(entry), prompt, options, stream, includeUsage, logprobs, echo);
    }

    /** Chat: {@code logprobs} is a boolean and {@code top_logprobs} (0-20) the alternatives; completions: {@code logprobs} 0-20. */
    private static int logprobs(Endpoint endpoint, JsonFields f) {
        if (endpoint == Endpoint.TEXT) return (int) f.integer("logprobs", -1, 0, 20);
        boolean on = f.bool("logprobs", false);
        int top = (int) f.integer("top_logprobs", 0, 0, 20);
        if (f.has("top_logprobs") && !on) {
            throw ApiException.invalid("top_logprobs", "invalid_value", "'top_logprobs' needs 'logprobs' to be true.");
        }
        return on ? top : -1;
    }

    private void checkContext(Endpoint endpoint, int promptTokens, long maxTokens) {
        if (maxTokens >= 0 && promptTokens + maxTokens > contextLength) {
            throw ApiException.invalid(endpoint.promptField, "context_length_exceeded", "This model's maximum context length is "
                    + contextLength + " tokens. However, you requested " + (promptTokens + maxTokens) + " tokens (" + promptTokens
                    + " in the " + endpoint.promptField + ", " + maxTokens + " in the completion). Please reduce the length of the "
                    + endpoint.promptField + " or completion.");
        }
        if (promptTokens >= contextLength) {
            throw ApiException.invalid(endpoint.promptField, "context_length_exceeded", "This model's maximum context length is "
                    + contextLength + " tokens. However, your " + endpoint.promptField + " resulted in " + promptTokens
                    + " tokens. Please reduce the length of the " + endpoint.promptField + ".");
        }
    }

    private int[] textPrompt(JsonFields f) {
        Object p = f.raw("prompt");
        if (p == null) throw ApiException.invalid("prompt", "missing_required_parameter", "Missing required parameter: 'prompt'.");
        if (p instanceof String s) return encode(s);
        if (p instanceof List<?> list && list.size() == 1 && list.getFirst() instanceof String s) return encode(s);
        if (p instanceof List<?> list && !list.isEmpty() && list.stream().allMatch(o -> o instanceof Long)) {
            int[] ids = new int[list.size()];
            int vocab = model.config().vocabSize();
            for (int i = 0; i < ids.length; i++) {
                long id = (Long) list.get(i);
                if (id < 0 || id >= vocab) {
                    throw ApiException.invalid("prompt", "invalid_value", "Invalid value for 'prompt': token id " + id + " is outside the vocabulary [0, " + vocab + ").");
                }
                ids[i] = (int) id;
            }
            return ids;
        }
        if (p instanceof List<?> list && list.size() > 1) {
            throw ApiException.invalid("prompt", "invalid_value", "Invalid value for 'prompt': one prompt per request is supported (n = 1).");
        }
        throw ApiException.invalid("prompt", "invalid_type", "Invalid type for 'prompt': expected a string, an array of one string or an array of token ids, but got "
                + JsonFields.typeName(p) + " instead.");
    }

    private int[] encode(String text) {
        int[] ids = model.tokenizer().encode(text, true, true);
        if (ids.length == 0) throw ApiException.invalid("prompt", "invalid_value", "Invalid value for 'prompt': it has no tokens.");
        return ids;
    }

    private int[] chatPrompt(JsonFields f) {
        List<?> raw = f.array("messages");
        if (raw.isEmpty()) throw ApiException.invalid("messages", "invalid_value", "Invalid value for 'messages': expected a non-empty array.");
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            JsonFields m = f.element("messages", i, raw.get(i));
            String role = m.requiredString("role");
            if (role.equals("developer")) role = "system";
            messages.add(new ChatMessage(role, content(m, i)));
        }
        try {
            return format.encode(messages, true);
        } catch (TemplateException e) {
            throw ApiException.invalid("messages", "invalid_value", "The chat template cannot render these messages: " + e.getMessage());
        }
    }

    /** A message's text: a string, {@code null}, or an array of {@code {"type": "text", "text": ...}} parts. */
    private static String content(JsonFields m, int index) {
        Object c = m.raw("content");
        if (c == null || c instanceof String) return (String) c;
        if (!(c instanceof List<?> parts)) {
            throw ApiException.invalid("messages[" + index + "].content", "invalid_type", "Invalid type for 'messages[" + index
                    + "].content': expected a string or an array of content parts, but got " + JsonFields.typeName(c) + " instead.");
        }
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < parts.size(); j++) {
            JsonFields part = m.element("content", j, parts.get(j));
            String type = part.requiredString("type");
            if (!type.equals("text")) {
                throw ApiException.invalid("messages[" + index + "].content[" + j + "].type", "invalid_value",
                        "Only text content parts are supported, got '" + type + "'.");
            }
            sb.append(part.requiredString("text"));
        }
        return sb.toString();
    }
}
