package dev.vera4j.engine.template;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One turn of a conversation, e.g. {@code new ChatMessage("user", "Hello!")}. Templates see it as the dict
 * {@code {"role": ..., "content": ...}}.
 */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        if (role == null) throw new IllegalArgumentException("chat message role must not be null");
    }

    /** The dict a template sees. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
