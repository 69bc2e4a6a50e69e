package dev.vera4j.vera;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The committed output of {@code stories/peft_vera_reference.py}: a PEFT adapter directory for stories260K and
 * PyTorch's logits with and without it.
 */
record StoriesReference(int[] promptIds, float[] baseLast, float[] adapted) {
    static Path shared() { return Path.of(System.getProperty("vera4j.shared", "../shared")); }

    static Path stories() { return shared().resolve("models/stories260K.gguf"); }

    static Path resource(String name) {
        try {
            return Path.of(StoriesReference.class.getResource("stories/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The PEFT adapter directory. */
    static Path peftDir() { return resource("stories-vera"); }

    static StoriesReference load() {
        try {
            int[] ids = null;
            float[] base = null;
            float[][] rows = new float[64][];
            int n = 0;
            for (String line : Files.readAllLines(resource("stories-vera-logits.txt"))) {
                if (line.startsWith("#")) continue;
                int colon = line.indexOf(':');
                String key = line.substring(0, colon);
                String[] parts = line.substring(colon + 1).trim().split(" ");
                if (key.equals("prompt_ids")) ids = Arrays.stream(parts).mapToInt(Integer::parseInt).toArray();
                else if (key.equals("base_last")) base = floats(parts);
                else if (key.startsWith("adapted_")) rows[n++] = floats(parts);
            }
            int vocab = base.length;
            float[] adapted = new float[n * vocab];
            for (int t = 0; t < n; t++) System.arraycopy(rows[t], 0, adapted, t * vocab, vocab);
            return new StoriesReference(ids, base, adapted);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static float[] floats(String[] parts) {
        float[] f = new float[parts.length];
        for (int i = 0; i < parts.length; i++) f[i] = Float.parseFloat(parts[i]);
        return f;
    }
}
