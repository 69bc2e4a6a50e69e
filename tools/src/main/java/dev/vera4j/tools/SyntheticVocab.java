package dev.vera4j.tools;

import dev.vera4j.gguf.GgufArray;
import dev.vera4j.gguf.GgufValue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Valid tokenizer metadata of any vocabulary size for synthetic models: a SentencePiece vocabulary (control tokens,
 * 256 byte tokens, then pieces of growing length with falling scores) or a byte-level BPE vocabulary (the 256 byte
 * symbols, then one merge per further token, pairs before triples, and control tokens at the end).
 *
 * <pre>{@code
 * Map<String, GgufValue> meta = SyntheticVocab.spm(32000);
 * }</pre>
 */
final class SyntheticVocab {
    private static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, BYTE = 6;
    private static final String SYMBOLS = "etaoinshrdlucmfwypvbgkjqxzETAOINSHRDLUCMFWYPVBGKJQXZ0123456789.,!?'\"-:;()";

    private SyntheticVocab() {}

    /** A SentencePiece ({@code llama}) vocabulary of exactly {@code size} tokens: unk 0, bos 1, eos 2. */
    static Map<String, GgufValue> spm(int size) { return spm(size, List.of()); }

    /**
     * A SentencePiece vocabulary of exactly {@code size} tokens whose last ones are the control tokens
     * {@code specials} (a family's chat markers, e.g. Phi-3's {@code <|end|>}, which llama.cpp looks up by name).
     */
    static Map<String, GgufValue> spm(int size, List<String> specials) {
        if (size < 3 + 256 + 1 + specials.size()) throw new IllegalArgumentException("an SPM vocabulary needs at least 260 tokens, got " + size);
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Integer> types = new ArrayList<>(List.of(UNKNOWN, CONTROL, CONTROL));
        for (int b = 0; b < 256; b++) { tokens.add(String.format("<0x%02X>", b)); types.add(BYTE); }
        Set<String> pieces = new LinkedHashSet<>();
        pieces.add("\u2581");
        List<String> level = new ArrayList<>();
        for (char c : SYMBOLS.toCharArray()) level.add(String.valueOf(c));
        int need = size - tokens.size() - specials.size();
        while (pieces.size() < need) {
            for (String p : level) {
                if (pieces.size() < need) pieces.add("\u2581" + p);
                if (pieces.size() < need) pieces.add(p);
            }
            List<String> next = new ArrayList<>();
            for (String p : level) {
                for (char c : SYMBOLS.toCharArray()) {
                    next.add(p + c);
                    if (next.size() >= need) break;
                }
                if (next.size() >= need) break;
            }
            level = next;
        }
        float[] scores = new float[size];
        int i = tokens.size();
        for (String p : pieces) { tokens.add(p); types.add(NORMAL); scores[i] = -(i - 258); i++; }
        for (String p : specials) { tokens.add(p); types.add(CONTROL); i++; }
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.ofString("llama"));
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(tokens.toArray(String[]::new))));
        m.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufArray.ofFloat32(scores)));
        m.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofInt32(types.stream().mapToInt(Integer::intValue).toArray())));
        m.put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(1));
        m.put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(2));
        m.put("tokenizer.ggml.unknown_token_id", GgufValue.ofUInt32(0));
        m.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(true));
        m.put("tokenizer.ggml.add_eos_token", GgufValue.ofBool(false));
        return m;
    }

    /**
     * A byte-level BPE ({@code gpt2}) vocabulary of exactly {@code size} tokens; the last {@code specials.size()} are
     * control tokens, the first of them BOS and the second EOS.
     */
    static Map<String, GgufValue> bpe(int size, String pre, List<String> specials, boolean addBos) {
        int regular = size - specials.size();
        if (regular < 256 || specials.size() < 2) throw new IllegalArgumentException("a BPE vocabulary needs 256 byte tokens and 2 specials");
        String[] base = new String[256];
        for (int b = 0; b < 256; b++) base[b] = new String(Character.toChars(byteToCodepoint(b)));
        List<String> tokens = new ArrayList<>(List.of(base));
        List<String> merges = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>(tokens);
        // printable ASCII first so that ordinary text merges early; then everything else
        List<String> order = new ArrayList<>();
        for (int b = 32; b < 127; b++) order.add(base[b]);
        for (int b = 0; b < 256; b++) if (b < 32 || b >= 127) order.add(base[b]);
        List<String> level = new ArrayList<>(order);
        while (tokens.size() < regular) {
            List<String> next = new ArrayList<>();
            outer:
            for (String left : level) {
                for (String right : order) {
                    if (tokens.size() >= regular) break outer;
                    String t = left + right;
                    if (!seen.add(t)) continue;
                    tokens.add(t);
                    merges.add(left + " " + right);
                    next.add(t);
                }
            }
            level = next;
        }
        int[] types = new int[size];
        java.util.Arrays.fill(types, NORMAL);
        for (int i = 0; i < specials.size(); i++) { tokens.add(specials.get(i)); types[regular + i] = CONTROL; }
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        m.put("tokenizer.ggml.pre", GgufValue.ofString(pre));
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(tokens.toArray(String[]::new))));
        m.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofInt32(types)));
        m.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufArray.ofStrings(merges.toArray(String[]::new))));
        m.put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(regular));
        m.put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(regular + 1));
        m.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(addBos));
        m.put("tokenizer.ggml.add_eos_token", GgufValue.ofBool(false));
        return m;
    }

    /** The tokenizer metadata a shape needs: Llama-3-like or Qwen2-like specials for BPE. */
    static Map<String, GgufValue> forShape(ModelShape s) {
        if (s.tokenizer().equals("spm")) {
            return switch (s.architecture()) {
                case "phi3" -> spm(s.vocab(), List.of("<|endoftext|>", "<|assistant|>", "<|end|>", "<|system|>", "<|user|>"));
                case "gemma2", "gemma3" -> spm(s.vocab(), List.of("<start_of_turn>", "<end_of_turn>"));
                default -> spm(s.vocab());
            };
        }
        List<String> specials = new ArrayList<>();
        if (s.architecture().startsWith("qwen")) {
            specials.addAll(List.of("<|endoftext|>", "<|im_end|>", "<|im_start|>"));
            int total = s.vocab() > 150000 ? s.vocab() - 151643 : 3;   // Qwen2's padding of the embedding rows
            for (int i = specials.size(); i < total; i++) specials.add("<|extra_" + i + "|>");
            return bpe(s.vocab(), s.pre(), specials, false);
        }
        specials.addAll(List.of("<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"));
        int total = s.vocab() > 128000 ? s.vocab() - 128000 : 5;
        for (int i = specials.size(); i < total; i++) specials.add("<|reserved_special_token_" + i + "|>");
        return bpe(s.vocab(), s.pre(), specials, true);
    }

    /** GPT-2's byte-to-unicode table: printable bytes stand for themselves, the rest map to U+0100 upwards. */
    static int byteToCodepoint(int b) {
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return b;
        int n = 0;
        for (int i = 0; i < b; i++) if (!((i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF))) n++;
        return 256 + n;
    }
}
