package dev.vera4j.tools;

import dev.vera4j.engine.json.Json;
import dev.vera4j.engine.json.JsonException;
import dev.vera4j.engine.template.ChatTemplate;
import dev.vera4j.engine.template.ModelChatTemplate;
import dev.vera4j.engine.template.TemplateException;
import dev.vera4j.gguf.GgufFile;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code vera4j template -m MODEL --messages FILE.json}: prints the prompt the model's chat template makes of a
 * conversation, exactly as Hugging Face {@code apply_chat_template} would.
 */
final class TemplateCommand implements Command {
    @Override public String name() { return "template"; }

    @Override public String summary() { return "render a conversation with the model's chat template"; }

    @Override public String usage() {
        return "-m MODEL.gguf --messages FILE.json [--no-generation-prompt] [--chat-template NAME|FILE]";
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec()
                .value("model", "-m", "--model")
                .value("messages", "--messages")
                .value("template", "--chat-template")
                .flag("nogen", "--no-generation-prompt")
                .flag("help", "-h", "--help")
                .parse(argv);
        if (a.has("help")) {
            out.println("usage: vera4j template " + usage());
            out.println();
            out.println("  -m, --model FILE         GGUF model: chat template from " + ModelChatTemplate.METADATA_KEY + ", bos/eos token strings");
            out.println("  --messages FILE          JSON array of {\"role\", \"content\", ...} messages, or an object with");
            out.println("                           \"messages\" plus extra template variables (\"tools\", \"date_string\", ...)");
            out.println("  --no-generation-prompt   do not open an assistant turn at the end (add_generation_prompt=false)");
            out.println("  --chat-template NAME|FILE  use a built-in template (" + String.join(", ", ChatTemplate.names())
                    + ") or a Jinja file instead of the model's");
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        Path model = ModelArg.require(a, "-m MODEL.gguf", err);
        Path messagesFile = a.requirePath("messages", "--messages FILE.json");

        Map<String, Object> variables = readConversation(messagesFile);
        @SuppressWarnings("unchecked")
        List<Map<String, ?>> messages = (List<Map<String, ?>>) variables.remove("messages");
        String override = a.get("template");
        if (override != null && !ChatTemplate.names().contains(override) && !Files.isRegularFile(Path.of(override))) {
            throw new UsageException("--chat-template '" + override + "' is neither a built-in template ("
                    + String.join(", ", ChatTemplate.names()) + ") nor a file");
        }
        ModelChatTemplate template;
        try (GgufFile f = GgufFile.open(model)) {
            template = ModelChatTemplate.of(f.metadata(), override);
        } catch (TemplateException e) {
            if (override != null) throw new RuntimeException("chat template " + override + ": " + e.getMessage(), e);
            throw new RuntimeException(model.getFileName() + ": " + e.getMessage() + " with --chat-template NAME|FILE", e);
        }
        try {
            out.print(template.render(messages, !a.has("nogen"), variables));
        } catch (TemplateException e) {
            throw new RuntimeException("chat template failed: " + e.getMessage(), e);
        }
        out.flush();
        return 0;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> readConversation(Path file) {
        Object parsed;
        try {
            parsed = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (JsonException e) {
            throw new RuntimeException(file + ": " + e.getMessage(), e);
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        if (parsed instanceof List<?> list) {
            vars.put("messages", list);
        } else if (parsed instanceof Map<?, ?> m && m.get("messages") instanceof List) {
            vars.putAll((Map<String, Object>) m);
        } else {
            throw new RuntimeException(file + ": expected a JSON array of messages or an object with a \"messages\" array");
        }
        List<?> messages = (List<?>) vars.get("messages");
        for (int i = 0; i < messages.size(); i++) {
            if (!(messages.get(i) instanceof Map<?, ?> msg) || !(msg.get("role") instanceof String)) {
                throw new RuntimeException(file + ": message " + i + " must be an object with a string \"role\"");
            }
        }
        return vars;
    }
}
