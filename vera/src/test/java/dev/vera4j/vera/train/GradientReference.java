package dev.vera4j.vera.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** The committed output of {@code train/vera_gradients.py}: PyTorch float64 autograd gradients of the mean loss. */
record GradientReference(int[] tokens, boolean[] mask, double loss, Map<String, double[]> grads) {
    static Path resource(String name) {
        try {
            return Path.of(GradientReference.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path shared() { return Path.of(System.getProperty("vera4j.shared", "../shared")); }

    static Path stories() { return shared().resolve("models/stories260K.gguf"); }

    /** Gradient of λ_b ({@code b = true}) or λ_d of {@code module} (PEFT name) in block {@code layer}. */
    double[] grad(boolean b, int layer, String module) { return grads.get((b ? "b." : "d.") + layer + "." + module); }

    static GradientReference load() { return load("vera-gradients.txt"); }

    /** A file in that format: {@code vera-gradients.txt}, or {@code lora-gradients.txt} of {@code lora_gradients.py}. */
    static GradientReference load(String name) {
        try {
            int[] tokens = null;
            boolean[] mask = null;
            double loss = Double.NaN;
            Map<String, double[]> grads = new HashMap<>();
            for (String line : Files.readAllLines(resource(name))) {
                if (line.startsWith("#")) continue;
                int colon = line.indexOf(':');
                String key = line.substring(0, colon);
                String[] parts = line.substring(colon + 1).trim().split(" ");
                switch (key) {
                    case "tokens" -> tokens = Arrays.stream(parts).mapToInt(Integer::parseInt).toArray();
                    case "mask" -> {
                        mask = new boolean[parts.length];
                        for (int i = 0; i < parts.length; i++) mask[i] = parts[i].equals("1");
                    }
                    case "loss" -> loss = Double.parseDouble(parts[0]);
                    default -> grads.put(key, Arrays.stream(parts).mapToDouble(Double::parseDouble).toArray());
                }
            }
            return new GradientReference(tokens, mask, loss, grads);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
