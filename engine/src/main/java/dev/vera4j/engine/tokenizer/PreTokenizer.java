package dev.vera4j.engine.tokenizer;

import dev.vera4j.engine.tokenizer.ClassRunSplit.CharClass;

import java.util.List;

/**
 * How a byte-level BPE vocabulary cuts text into words before merging, selected by {@code tokenizer.ggml.pre}, with
 * the tokenizer flags llama.cpp ties to each name.
 *
 * <pre>{@code
 * PreTokenizer p = PreTokenizer.named("llama-bpe");   // Llama 3: ignores merges for whole-word tokens, adds BOS
 * }</pre>
 *
 * @param stages       applied in order, each cutting the pieces of the one before
 * @param ignoreMerges a word that is itself a token is emitted whole, without merging
 * @param cleanSpaces  decoding removes the spaces that tokenization added before punctuation
 * @param addBos       default for {@code tokenizer.ggml.add_bos_token}
 * @param noBos        the vocabulary has no BOS token whatever the metadata says
 */
record PreTokenizer(String name, List<SplitStage> stages, boolean ignoreMerges, boolean cleanSpaces, boolean addBos,
                    boolean noBos) {

    // the bracket expressions of DeepSeek LLM's pre-tokenizer regexes \s?[...]+, as llama.cpp lists them
    private static final ClassRunSplit.RangeClass DEEPSEEK_LETTERS = ClassRunSplit.RangeClass.parse(
            "A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃");
    private static final ClassRunSplit.RangeClass DEEPSEEK_PUNCTUATION = ClassRunSplit.RangeClass.parse("!-/:-~！-／：-～‘-‟　-。");

    private static PreTokenizer of(String name, boolean cleanSpaces, SplitStage... stages) {
        return new PreTokenizer(name, List.of(stages), false, cleanSpaces, false, false);
    }

    /**
     * The pre-tokenizer llama.cpp uses for {@code name}; an empty name means {@code default}, as in llama.cpp.
     *
     * @throws TokenizerException for a name llama.cpp does not know or this class does not implement
     */
    static PreTokenizer named(String name) {
        SplitStage gpt2 = new Gpt2Split();
        return switch (name) {
            case "", "default" -> of("default", true,
                    new ClassRunSplit(CharClass.PUNCTUATION, 1, Integer.MAX_VALUE), gpt2,
                    new ClassRunSplit(CharClass.NUMBER, 1, Integer.MAX_VALUE), new ClassRunSplit(CharClass.ASCII_DIGIT, 3, 3));
            case "falcon" -> of(name, true,
                    new ClassRunSplit(CharClass.PUNCTUATION_AND_BACKTICK, 1, Integer.MAX_VALUE), gpt2,
                    new ClassRunSplit(CharClass.ASCII_DIGIT, 3, 3));
            case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de",
                 "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais" -> of(name, true, gpt2);
            case "llama3", "llama-v3", "llama-bpe", "falcon3" ->
                    new PreTokenizer(name, List.of(new Llama3Split(3)), true, true, true, false);
            case "dbrx", "smaug-bpe" -> of(name, true, new Llama3Split(3));
            case "chatglm-bpe" -> new PreTokenizer(name, List.of(new Llama3Split(3)), false, true, false, true);
            case "qwen2", "deepseek-r1-qwen" -> of(name, false, new Llama3Split(1));
            case "stablelm2", "megrez" -> of(name, true, new Llama3Split(1));
            case "smollm", "command-r" -> of(name, false, new ClassRunSplit(CharClass.NUMBER, 1, 1), gpt2);
            case "starcoder", "refact", "codeshell", "exaone", "minerva-7b" ->
                    of(name, true, new ClassRunSplit(CharClass.NUMBER, 1, 1), gpt2);
            case "tekken" -> new PreTokenizer(name, List.of(new TekkenSplit()), true, false, true, false);
            case "deepseek-coder" -> of(name, false,
                    new ClassRunSplit(CharClass.NEWLINE, 1, 1),
                    new ClassRunSplit(CharClass.WHITESPACE, CharClass.LETTER, 1, Integer.MAX_VALUE),
                    new ClassRunSplit(CharClass.WHITESPACE, CharClass.STRICT_PUNCTUATION, 1, Integer.MAX_VALUE),
                    new ClassRunSplit(CharClass.CJK, 1, Integer.MAX_VALUE),
                    new ClassRunSplit(CharClass.NUMBER, 1, 1));
            case "deepseek-llm" -> of(name, false,
                    new ClassRunSplit(CharClass.NEWLINE, 1, 1),
                    new ClassRunSplit(CharClass.WHITESPACE, DEEPSEEK_LETTERS, 1, Integer.MAX_VALUE),
                    new ClassRunSplit(CharClass.WHITESPACE, DEEPSEEK_PUNCTUATION, 1, Integer.MAX_VALUE),
                    new TrailingWhitespaceSplit(),
                    new ClassRunSplit(CharClass.CJK, 1, Integer.MAX_VALUE),
                    new ClassRunSplit(CharClass.NUMBER, 1, Integer.MAX_VALUE));
            case "deepseek-v3", "poro-chat", "bloom", "gpt3-finnish", "viking",
                 "chameleon" -> throw new TokenizerException("pre-tokenizer type '" + name + "' is not supported yet");
            default -> throw new TokenizerException("unknown pre-tokenizer type '" + name + "' (tokenizer.ggml.pre)");
        };
    }

    /**
     * Cuts {@code cps[0, n)} into words; appends their lengths in code points to {@code out}. {@code scratch} is
     * working space.
     */
    void split(int[] cps, int n, IntList out, IntList scratch) {
        out.clear();
        if (n == 0) return;
        out.add(n);
        for (SplitStage stage : stages) {
            scratch.clear();
            int start = 0;
            for (int i = 0; i < out.size(); i++) {
                int len = out.get(i);
                stage.split(cps, start, start + len, scratch);
                start += len;
            }
            out.clear();
            for (int i = 0; i < scratch.size(); i++) out.add(scratch.get(i));
        }
    }
}
