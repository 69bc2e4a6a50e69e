package dev.vera4j.vera.lora;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.peft.PeftLora;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The LoRA GGUF that {@code scripts/lora_reference.py} ran through llama.cpp for {@code stories-lora-reference.txt},
 * made again by vera4j's own writer instead of being committed: the committed {@code stories-lora-peft} directory
 * holds the same A and B (q/k rows in Hugging Face's order, rsLoRA alpha 4 over √4 = llama.cpp's 8 / 4), so
 * importing it and writing a GGUF gives llama.cpp's tensors back ({@code peftExportAndGgufWriteRoundTrip} checks the
 * matrices; the greedy tokens check the rest).
 *
 * <pre>{@code
 * Path adapter = StoriesLora.write(peftDir, stories260K, dir.resolve("stories-lora.gguf"));
 * }</pre>
 */
final class StoriesLora {
    private StoriesLora() {}

    /** Writes the adapter in {@code peftDir} for the base model {@code model} as a LoRA GGUF at {@code file}. */
    static Path write(Path peftDir, Path model, Path file) throws IOException {
        LoraFile peft = PeftLora.read(peftDir).toLoraFile(BaseFingerprint.of(model));
        // no base fingerprint, as in llama.cpp's file: the tests of refusal by shape and of merging rely on that
        new LoraFile(peft.architecture(), Optional.empty(), peft.sites()).write(file, GgmlType.F32);
        return file;
    }
}
