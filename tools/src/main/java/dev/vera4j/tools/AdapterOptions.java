package dev.vera4j.tools;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.Session;
import dev.vera4j.vera.AdapterLoader;
import dev.vera4j.vera.BaseFingerprint;
import java.util.List;

/**
 * The {@code --adapter FILE[:WEIGHT]} option of commands that run a model: each adapter (a vera4j VeRA GGUF, a
 * llama.cpp LoRA GGUF, or a PEFT VeRA or LoRA directory; several stack) is checked against the model and applied to the session, scaled by its weight.
 *
 * <pre>{@code
 * AdapterOptions.attach(session, model, a.all("adapter"));   // vera4j generate ... --adapter style.gguf:0.8
 * }</pre>
 */
final class AdapterOptions {
    private AdapterOptions() {}

    /** Adds one hook per spec (VeRA or LoRA, {@link AdapterLoader#hook}) to {@code session}; nothing when {@code specs} is empty. */
    static void attach(Session session, Model model, List<String> specs) {
        if (specs.isEmpty()) return;
        BaseFingerprint base = BaseFingerprint.of(model.path());
        for (String text : specs) {
            AdapterLoader.Spec spec = AdapterLoader.Spec.parse(text);
            session.addHook(AdapterLoader.hook(spec.path(), base, session.batchSize(), spec.weight(), model.pool()));
        }
    }
}
