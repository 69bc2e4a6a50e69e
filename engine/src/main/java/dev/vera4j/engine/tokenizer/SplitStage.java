package dev.vera4j.engine.tokenizer;

/**
 * One regular expression of a BPE pre-tokenizer, hand-written as a scanner over code points. Like llama.cpp's
 * {@code unicode_regex_split}, a stage cuts one chunk into pieces: every match is a piece, and so is every run of
 * text between matches, so the pieces always cover the chunk exactly.
 */
interface SplitStage {
    /** Appends the lengths (in code points, each &gt; 0) of the pieces of {@code cps[start, end)} to {@code out}. */
    void split(int[] cps, int start, int end, IntList out);
}
