package dev.vera4j.engine.tokenizer;

import dev.vera4j.gguf.GgufMetadata;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A tokenizer vocabulary read from GGUF metadata the way llama.cpp's {@code llama_vocab::load} reads it: token
 * texts, scores and attributes, the special token ids with llama.cpp's defaults, the add-BOS/EOS and space-prefix
 * flags, the end-of-generation set, and the attribute fix-ups llama.cpp applies by token text and model name.
 *
 * <pre>{@code
 * Vocab v = Vocab.fromMetadata(file.metadata());
 * int id = v.textTable().get("<s>".getBytes(UTF_8));
 * }</pre>
 */
final class Vocab {
    /** The two tokenizer algorithms. */
    enum Kind { SPM, BPE }

    // token texts llama.cpp recognises as end of turn / generation, in the order it checks them
    private static final List<String> EOT_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<EOT>", "<｜end▁of▁sentence｜>");
    private static final Set<String> EOG_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|eom_id|>", "<EOT>");
    private static final List<String> FIM_PRE = List.of("<|fim_prefix|>", "<fim-prefix>", "<｜fim▁begin｜>", "<PRE>");
    private static final List<String> FIM_SUF = List.of("<|fim_suffix|>", "<fim-suffix>", "<｜fim▁hole｜>", "<SUF>");
    private static final List<String> FIM_MID = List.of("<|fim_middle|>", "<fim-middle>", "<｜fim▁end｜>", "<MID>");
    private static final List<String> FIM_PAD = List.of("<|fim_pad|>", "<fim-pad>", "<PAD>");
    private static final List<String> FIM_REP = List.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>");
    private static final List<String> FIM_SEP = List.of("<|file_sep|>");

    final Kind kind;
    final PreTokenizer pre;
    final String[] texts;
    final byte[][] textBytes;
    final float[] scores;
    final int[] attrs;
    /** Token text (UTF-8) to id. */
    final ByteStringTable textTable;
    final int bos, eos, eot, eom, unk, pad;
    final boolean addBos, addEos, addSpacePrefix;
    final boolean[] eog;
    /** Control, user-defined and unknown tokens, longest text first: the order llama.cpp matches them in. */
    final int[] specialTokens;
    /** Byte value to its {@code <0xXX>} token for SPM, -1 where absent. */
    final int[] byteTokens;
    /** No token has {@code ▁} (U+2581) anywhere but in a leading run, so SPM may encode word by word. */
    final boolean spaceMarkLeadsOnly;

    private Vocab(Builder b) {
        kind = b.kind;
        pre = b.pre;
        texts = b.texts;
        textBytes = b.textBytes;
        scores = b.scores;
        attrs = b.attrs;
        textTable = b.table;
        bos = b.bos;
        eos = b.eos;
        eot = b.eot;
        eom = b.eom;
        unk = b.unk;
        pad = b.pad;
        addBos = b.addBos;
        addEos = b.addEos;
        addSpacePrefix = b.addSpacePrefix;
        eog = b.eog;
        specialTokens = b.specialTokens;
        byteTokens = b.byteTokens;
        spaceMarkLeadsOnly = texts.length > 0 && java.util.Arrays.stream(texts).allMatch(Vocab::spaceMarkLeadsOnly);
    }

    private static boolean spaceMarkLeadsOnly(String text) {
        int i = 0;
        while (i < text.length() && text.charAt(i) == '\u2581') i++;
        return text.indexOf('\u2581', i) < 0;
    }

    int size() { return texts.length; }

    boolean isControlOrUnknown(int id) { return (attrs[id] & (TokenAttr.CONTROL | TokenAttr.UNKNOWN)) != 0; }

    /** Reads the vocabulary; throws {@link TokenizerException} naming the problem when the metadata is unusable. */
    static Vocab fromMetadata(GgufMetadata meta) {
        return new Builder(meta).build();
    }

    private static final class Builder {
        final GgufMetadata meta;
        Kind kind;
        PreTokenizer pre;
        String[] texts;
        byte[][] textBytes;
        float[] scores;
        int[] attrs;
        ByteStringTable table;
        int bos, eos, eot = -1, eom = -1, unk, sep = -1, pad = -1, mask = -1;
        int fimPre = -1, fimSuf = -1, fimMid = -1, fimPad = -1, fimRep = -1, fimSep = -1;
        boolean addBos, addEos, addSpacePrefix;
        boolean[] eog;
        int[] specialTokens;
        int[] byteTokens;

        Builder(GgufMetadata meta) { this.meta = meta; }

        Vocab build() {
            if (!meta.has("tokenizer.ggml.model")) throw new TokenizerException("the model has no tokenizer (tokenizer.ggml.model is missing)");
            String model = meta.getString("tokenizer.ggml.model");
            switch (model) {
                case "llama" -> {
                    kind = Kind.SPM;
                    bos = 1; eos = 2; unk = 0;
                    addSpacePrefix = true; addBos = true; addEos = false;
                }
                case "gpt2" -> {
                    kind = Kind.BPE;
                    bos = 11; eos = 11; unk = -1;
                    pre = PreTokenizer.named(meta.getStringOr("tokenizer.ggml.pre", ""));
                    addSpacePrefix = false; addBos = pre.addBos(); addEos = false;
                    if (pre.noBos()) bos = -1;
                }
                default -> throw new TokenizerException("unsupported tokenizer model '" + model + "' (tokenizer.ggml.model; supported: llama, gpt2)");
            }
            addSpacePrefix = meta.getBooleanOr("tokenizer.ggml.add_space_prefix", addSpacePrefix);
            readTokens();
            readSpecialIds();
            addBos = meta.getBooleanOr("tokenizer.ggml.add_bos_token", addBos);
            addEos = meta.getBooleanOr("tokenizer.ggml.add_eos_token", addEos);
            detectByText();
            collectEndOfGeneration();
            collectSpecialTokens();
            applyModelFixups();
            byteTokens = new int[256];
            for (int b = 0; b < 256; b++) {
                byteTokens[b] = table.get(String.format("<0x%02X>", b).getBytes(StandardCharsets.US_ASCII));
            }
            return new Vocab(this);
        }

        private void readTokens() {
            if (!meta.has("tokenizer.ggml.tokens")) throw new TokenizerException("tokenizer.ggml.tokens is missing");
            String[] raw = meta.getStringArray("tokenizer.ggml.tokens");
            int n = raw.length;
            if (n == 0) throw new TokenizerException("tokenizer.ggml.tokens is empty");
            float[] sc = meta.has("tokenizer.ggml.scores") ? meta.getFloatArray("tokenizer.ggml.scores") : null;
            int[] types = meta.has("tokenizer.ggml.token_type") ? meta.getIntArray("tokenizer.ggml.token_type") : null;
            if (sc != null && sc.length < n) throw new TokenizerException("tokenizer.ggml.scores has " + sc.length + " entries for " + n + " tokens");
            if (types != null && types.length < n) throw new TokenizerException("tokenizer.ggml.token_type has " + types.length + " entries for " + n + " tokens");
            texts = new String[n];
            textBytes = new byte[n][];
            scores = new float[n];
            attrs = new int[n];
            table = new ByteStringTable(n);
            for (int i = 0; i < n; i++) {
                String t = raw[i].isEmpty() ? "[EMPTY_" + i + "]" : raw[i];
                texts[i] = t;
                textBytes[i] = Utf8.encode(t);
                scores[i] = sc == null ? 0f : sc[i];
                attrs[i] = types == null ? TokenAttr.NORMAL : TokenAttr.fromType(types[i]);
                int prev = table.putIfAbsent(textBytes[i], i);
                if (prev != i) throw new TokenizerException("token " + i + " has the same text as token " + prev + ": '" + t + "'");
            }
        }

        private int specialId(String key, int fallback) {
            if (!meta.has(key)) return fallback;
            long v = meta.getLong(key);
            // llama.cpp keeps its default for an id outside the vocabulary
            return v >= 0 && v < texts.length ? (int) v : fallback;
        }

        private void readSpecialIds() {
            String p = "tokenizer.ggml.";
            bos = specialId(p + "bos_token_id", bos);
            eos = specialId(p + "eos_token_id", eos);
            eot = specialId(p + "eot_token_id", eot);
            eom = specialId(p + "eom_token_id", eom);
            unk = specialId(p + "unknown_token_id", unk);
            sep = specialId(p + "seperator_token_id", sep);
            pad = specialId(p + "padding_token_id", pad);
            mask = specialId(p + "mask_token_id", mask);
            fimPre = specialId(p + "fim_pre_token_id", fimPre);
            fimSuf = specialId(p + "fim_suf_token_id", fimSuf);
            fimMid = specialId(p + "fim_mid_token_id", fimMid);
            fimPad = specialId(p + "fim_pad_token_id", fimPad);
            fimRep = specialId(p + "fim_rep_token_id", fimRep);
            fimSep = specialId(p + "fim_sep_token_id", fimSep);
            fimPre = specialId(p + "prefix_token_id", fimPre);
            fimSuf = specialId(p + "suffix_token_id", fimSuf);
            fimMid = specialId(p + "middle_token_id", fimMid);
            // a default that does not exist in a small vocabulary (gpt2's 11) means "none"
            int n = texts.length;
            if (bos >= n) bos = -1;
            if (eos >= n) eos = -1;
            if (unk >= n) unk = -1;
        }

        /** The first token (lowest id) whose text is in {@code candidates}, marked as control; or {@code current} if set. */
        private int findByText(int current, List<String> candidates) {
            if (current >= 0) return current;
            int found = -1;
            for (String c : candidates) {
                int id = table.get(Utf8.encode(c));
                if (id >= 0 && (found < 0 || id < found)) found = id;
            }
            if (found >= 0 && (attrs[found] & TokenAttr.CONTROL) == 0) attrs[found] = TokenAttr.CONTROL;
            return found;
        }

        // llama.cpp scans a hash map here, so with several candidates its pick is arbitrary; lowest id is ours
        private void detectByText() {
            eot = findByText(eot, EOT_TEXTS);
            eom = findByText(eom, List.of("<|eom_id|>"));
            fimPre = findByText(fimPre, FIM_PRE);
            fimSuf = findByText(fimSuf, FIM_SUF);
            fimMid = findByText(fimMid, FIM_MID);
            fimPad = findByText(fimPad, FIM_PAD);
            fimRep = findByText(fimRep, FIM_REP);
            fimSep = findByText(fimSep, FIM_SEP);
        }

        private void collectEndOfGeneration() {
            eog = new boolean[texts.length];
            for (int id : new int[] {fimPad, fimRep, fimSep, eos, eot, eom}) if (id >= 0) eog[id] = true;
            for (String t : EOG_TEXTS) {
                int i = table.get(Utf8.encode(t));
                if (i < 0) continue;
                eog[i] = true;
                if ((attrs[i] & TokenAttr.CONTROL) == 0) attrs[i] = TokenAttr.CONTROL;
            }
        }

        private void collectSpecialTokens() {
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < texts.length; i++) {
                if ((attrs[i] & (TokenAttr.CONTROL | TokenAttr.USER_DEFINED | TokenAttr.UNKNOWN)) != 0) ids.add(i);
            }
            // stable, so equal lengths keep id order (llama.cpp's std::sort leaves that order unspecified)
            ids.sort((a, b) -> Integer.compare(textBytes[b].length, textBytes[a].length));
            specialTokens = ids.stream().mapToInt(Integer::intValue).toArray();
        }

        private void setAttr(String text, int attr, boolean on) {
            int id = table.get(Utf8.encode(text));
            if (id >= 0) attrs[id] = on ? attrs[id] | attr : attrs[id] & ~attr;
        }

        /** The per-model whitespace-stripping attributes llama.cpp sets by tokenizer and model name. */
        private void applyModelFixups() {
            String name = meta.getStringOr("general.name", "").toLowerCase(Locale.ROOT);
            String preName = meta.getStringOr("tokenizer.ggml.pre", "");
            if (preName.contains("jina-v2-de") || preName.contains("jina-v2-es") || preName.contains("jina-v2-code")) {
                setAttr("<mask>", TokenAttr.LSTRIP, true);
            } else if (name.contains("phi-3") || name.contains("phi3")) {
                for (int id : specialTokens) attrs[id] |= TokenAttr.RSTRIP;
                setAttr("</s>", TokenAttr.RSTRIP, true);
                for (String t : new String[] {"<unk>", "<s>", "<|endoftext|>"}) setAttr(t, TokenAttr.RSTRIP, false);
            }
        }
    }

    @Override
    public String toString() {
        return kind + " vocab, " + texts.length + " tokens" + (pre == null ? "" : ", pre-tokenizer " + pre.name())
                + ", bos " + bos + ", eos " + eos + ", eog " + Arrays.toString(eogIds());
    }

    int[] eogIds() {
        IntList l = new IntList(4);
        for (int i = 0; i < eog.length; i++) if (eog[i]) l.add(i);
        return l.toArray();
    }
}
