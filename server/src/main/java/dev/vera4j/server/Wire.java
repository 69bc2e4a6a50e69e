package dev.vera4j.server;

import dev.vera4j.engine.api.StopReason;
import dev.vera4j.engine.batch.BatchResult;
import dev.vera4j.engine.batch.TokenEvent;
import dev.vera4j.engine.batch.TokenLogprob;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's response objects for one request, as JSON-ready maps: the whole answer ({@code chat.completion},
 * {@code text_completion}) and the stream's chunks ({@code chat.completion.chunk}, or {@code text_completion} chunks),
 * with usage and logprobs in each endpoint's own shape.
 *
 * <pre>{@code
 * Wire w = new Wire(Endpoint.CHAT, "chatcmpl-1f2e", "stories260K", created);
 * Map<String, Object> first = w.roleChunk();
 * Map<String, Object> piece = w.tokenChunk(event);
 * Map<String, Object> last = w.finishChunk("stop", w.usage(12, 30, 0));
 * }</pre>
 */
final class Wire {
    /** Goes into every response as {@code system_fingerprint}. */
    static final String FINGERPRINT = "vera4j";

    private final Endpoint endpoint;
    private final String id;
    private final String model;
    private final long created;
    private int textOffset;

    Wire(Endpoint endpoint, String id, String model, long created) {
        this.endpoint = endpoint;
        this.id = id;
        this.model = model;
        this.created = created;
    }

    String id() { return id; }

    /** OpenAI's {@code finish_reason}: {@code stop} for an end or stop token or string, {@code length} for a limit. */
    static String finishReason(StopReason r) {
        return r == StopReason.MAX_TOKENS || r == StopReason.CONTEXT_FULL ? "length" : "stop";
    }

    /** OpenAI's usage object; {@code cachedTokens} of the prompt came from a slot's cache (OpenAI's cached tokens). */
    Map<String, Object> usage(int promptTokens, int completionTokens, int cachedTokens) {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("prompt_tokens", (long) promptTokens);
        u.put("completion_tokens", (long) completionTokens);
        u.put("total_tokens", (long) promptTokens + completionTokens);
        u.put("prompt_tokens_details", Map.of("cached_tokens", (long) cachedTokens));
        return u;
    }

    /** The non-streamed answer. */
    Map<String, Object> response(BatchResult r, List<TokenEvent> events, String echo, boolean logprobs) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0L);
        String text = (echo == null ? "" : echo) + r.text();
        if (endpoint == Endpoint.CHAT) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", "assistant");
            message.put("content", text);
            message.put("refusal", null);
            choice.put("message", message);
        } else {
            choice.put("text", text);
        }
        choice.put("logprobs", logprobs ? logprobs(events, echo == null ? 0 : echo.length()) : null);
        choice.put("finish_reason", finishReason(r.stopReason()));
        Map<String, Object> m = head(endpoint.object);
        m.put("choices", List.of(choice));
        m.put("usage", usage(r.promptTokens(), r.generatedTokens(), r.cachedPromptTokens()));
        return m;
    }

    /** The chat stream's first chunk: the assistant role, no text yet. Completions have none. */
    Map<String, Object> roleChunk() {
        Map<String, Object> delta = new LinkedHashMap<>();
        delta.put("role", "assistant");
        delta.put("content", "");
        return chunk(delta, null, null);
    }

    /** A chunk with {@code text} (the echoed prompt of completions, say) and no logprobs. */
    Map<String, Object> textChunk(String text) {
        textOffset += text.length();
        return chunk(endpoint == Endpoint.CHAT ? Map.of("content", text) : null, text, null);
    }

    /** A chunk for one token: its text, and its logprobs when asked for. */
    Map<String, Object> tokenChunk(TokenEvent e, boolean logprobs) {
        Map<String, Object> lp = logprobs && e.logprob() != null ? logprobs(List.of(e), textOffset) : null;
        textOffset += e.text().length();
        return chunk(endpoint == Endpoint.CHAT ? Map.of("content", e.text()) : null, e.text(), lp);
    }

    /** The chunk that ends the choice; carries usage too, so every final answer has it. */
    Map<String, Object> finishChunk(String finishReason, Map<String, Object> usage) {
        Map<String, Object> m = chunk(endpoint == Endpoint.CHAT ? Map.of() : null, "", null);
        @SuppressWarnings("unchecked") Map<String, Object> choice = ((List<Map<String, Object>>) m.get("choices")).getFirst();
        choice.put("finish_reason", finishReason);
        m.put("usage", usage);
        return m;
    }

    /** {@code stream_options.include_usage}'s extra chunk: no choices, only usage. */
    Map<String, Object> usageChunk(Map<String, Object> usage) {
        Map<String, Object> m = head(endpoint == Endpoint.CHAT ? "chat.completion.chunk" : "text_completion");
        m.put("choices", List.of());
        m.put("usage", usage);
        return m;
    }

    private Map<String, Object> chunk(Map<String, Object> delta, String text, Map<String, Object> logprobs) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0L);
        if (endpoint == Endpoint.CHAT) choice.put("delta", delta);
        else choice.put("text", text);
        choice.put("logprobs", logprobs);
        choice.put("finish_reason", null);
        Map<String, Object> m = head(endpoint == Endpoint.CHAT ? "chat.completion.chunk" : "text_completion");
        m.put("choices", new ArrayList<>(List.of(choice)));
        return m;
    }

    private Map<String, Object> head(String object) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("object", object);
        m.put("created", created);
        m.put("model", model);
        m.put("system_fingerprint", FINGERPRINT);
        return m;
    }

    /** The logprobs of sampled tokens ({@code id >= 0}) in the endpoint's shape; text offsets count from {@code offset}. */
    private Map<String, Object> logprobs(List<TokenEvent> events, int offset) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (endpoint == Endpoint.CHAT) {
            List<Object> content = new ArrayList<>();
            for (TokenEvent e : events) {
                if (e.logprob() == null) continue;
                Map<String, Object> entry = entry(e.logprob());
                List<Object> top = new ArrayList<>();
                for (TokenLogprob t : e.top()) top.add(entry(t));
                entry.put("top_logprobs", top);
                content.add(entry);
            }
            m.put("content", content);
            m.put("refusal", null);
            return m;
        }
        List<Object> tokens = new ArrayList<>(), values = new ArrayList<>(), top = new ArrayList<>(), offsets = new ArrayList<>();
        int at = offset;
        for (TokenEvent e : events) {
            if (e.logprob() != null) {
                tokens.add(e.logprob().token());
                values.add(e.logprob().logprob());
                Map<String, Object> alternatives = new LinkedHashMap<>();
                for (TokenLogprob t : e.top()) alternatives.put(t.token(), t.logprob());
                top.add(alternatives);
                offsets.add((long) at);
            }
            at += e.text().length();
        }
        m.put("tokens", tokens);
        m.put("token_logprobs", values);
        m.put("top_logprobs", top);
        m.put("text_offset", offsets);
        return m;
    }

    private static Map<String, Object> entry(TokenLogprob t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("token", t.token());
        m.put("logprob", t.logprob());
        List<Object> bytes = new ArrayList<>();
        for (byte b : t.bytes()) bytes.add((long) (b & 0xff));
        m.put("bytes", bytes);
        return m;
    }
}
