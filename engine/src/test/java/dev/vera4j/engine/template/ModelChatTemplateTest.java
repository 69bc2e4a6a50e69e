package dev.vera4j.engine.template;

import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufMetadata;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Choosing a model's template and its BOS/EOS strings from GGUF metadata (stories260K has no template). */
class ModelChatTemplateTest {
    private static final Path STORIES = Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("models/stories260K.gguf");

    @Test
    void fallbackAndSpecialTokens() {
        try (GgufFile f = GgufFile.open(STORIES)) {
            GgufMetadata md = f.metadata();
            TemplateException none = assertThrows(TemplateException.class, () -> ModelChatTemplate.of(md, null));
            assertTrue(none.getMessage().contains("no tokenizer.chat_template") && none.getMessage().contains("chatml"), none.getMessage());

            ModelChatTemplate t = ModelChatTemplate.of(md, "llama-2");
            assertEquals("<s>", t.bosToken());
            assertEquals("</s>", t.eosToken());
            List<ChatMessage> chat = List.of(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello"), new ChatMessage("user", "Bye"));
            assertEquals("<s>[INST] Hi [/INST] Hello </s><s>[INST] Bye [/INST]", t.render(chat, true));

            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ModelChatTemplate.of(md, "no-such-template"));
            assertTrue(bad.getMessage().contains("neither a built-in template"), bad.getMessage());
        }
    }
}
