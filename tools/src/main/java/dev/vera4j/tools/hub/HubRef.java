package dev.vera4j.tools.hub;

import java.util.regex.Pattern;

/**
 * A model named on the Hugging Face Hub: {@code REPO}, {@code REPO:QUANT} or {@code REPO/FILE.gguf}, optionally written
 * {@code hf:REPO...} (the form {@code -m} takes). {@code REPO} is {@code owner/name}.
 *
 * <pre>{@code
 * HubRef r = HubRef.parse("hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M");
 * r.repo();    // bartowski/Llama-3.2-1B-Instruct-GGUF
 * r.quant();   // Q4_K_M
 * r.file();    // null
 * }</pre>
 *
 * @param repo  {@code owner/name}
 * @param quant the quantization tag to pick (e.g. {@code Q4_K_M}), or null
 * @param file  a file path inside the repository, or null
 */
public record HubRef(String repo, String quant, String file) {
    /** The prefix that marks a hub model where a file is expected ({@code -m hf:REPO:QUANT}). */
    public static final String PREFIX = "hf:";
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    /** @throws IllegalArgumentException naming what is wrong with {@code text} */
    public static HubRef parse(String text) {
        String s = text.startsWith(PREFIX) ? text.substring(PREFIX.length()) : text;
        String quant = null, file = null;
        int colon = s.indexOf(':');
        if (colon >= 0) {
            quant = s.substring(colon + 1);
            s = s.substring(0, colon);
            if (!PART.matcher(quant).matches()) throw new IllegalArgumentException("bad quantization tag '" + quant + "' in " + text);
        }
        String[] parts = s.split("/", 3);
        if (parts.length < 2 || !PART.matcher(parts[0]).matches() || !PART.matcher(parts[1]).matches()) {
            throw new IllegalArgumentException("expected a Hugging Face repository owner/name[:QUANT|/FILE.gguf], got '" + text + "'");
        }
        if (parts.length == 3) {
            if (quant != null) throw new IllegalArgumentException("give a quantization tag or a file, not both: " + text);
            file = parts[2];
            for (String seg : file.split("/")) {
                if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) throw new IllegalArgumentException("bad file path '" + file + "' in " + text);
            }
        }
        return new HubRef(parts[0] + "/" + parts[1], quant, file);
    }

    /** Whether {@code text} names a hub model ({@code hf:...}) rather than a local file. */
    public static boolean isHub(String text) { return text.startsWith(PREFIX); }

    @Override
    public String toString() { return repo + (quant != null ? ":" + quant : file != null ? "/" + file : ""); }
}
