package dev.vera4j.tools.chat;

import dev.vera4j.engine.json.Json;
import dev.vera4j.engine.json.JsonException;
import dev.vera4j.engine.template.ChatMessage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves and loads a conversation as JSON: {@code {"messages": [{"role": "user", "content": "Hi"}, ...]}}, the format of
 * chat-completion requests, so files can go to and from other tools.
 *
 * <pre>{@code
 * Conversations.save(Path.of("talk.json"), chat.messages());
 * chat.messages(Conversations.load(Path.of("talk.json")));
 * }</pre>
 */
public final class Conversations {
    private Conversations() {}

    /** Writes {@code messages} to {@code file} (pretty-printed). */
    public static void save(Path file, List<ChatMessage> messages) {
        List<Object> list = new ArrayList<>();
        for (ChatMessage m : messages) list.add(m.toMap());
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("messages", list);
        try {
            Files.writeString(file, Json.writePretty(root) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads the messages of {@code file}: an object with a {@code "messages"} array, or the bare array.
     *
     * @throws IllegalArgumentException naming the file and the problem when it is not such a JSON document
     */
    public static List<ChatMessage> load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Object root;
        try {
            root = Json.parse(text);
        } catch (JsonException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        // a bare array is what `vera4j template --messages` takes too
        List<?> list = root instanceof List<?> l ? l : root instanceof Map<?, ?> map && map.get("messages") instanceof List<?> l ? l : null;
        if (list == null) throw new IllegalArgumentException(file + ": expected an array of messages or an object with a \"messages\" array");
        List<ChatMessage> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> m) || !(m.get("role") instanceof String role) || !(m.get("content") instanceof String content)) {
                throw new IllegalArgumentException(file + ": message " + out.size() + " needs string \"role\" and \"content\"");
            }
            out.add(new ChatMessage(role, content));
        }
        return out;
    }
}
