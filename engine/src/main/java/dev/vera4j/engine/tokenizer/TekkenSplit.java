package dev.vera4j.engine.tokenizer;

import static dev.vera4j.engine.tokenizer.CodepointFlags.LETTER;
import static dev.vera4j.engine.tokenizer.CodepointFlags.NUMBER;
import static dev.vera4j.engine.tokenizer.CodepointFlags.WHITESPACE;
import static dev.vera4j.engine.tokenizer.Scan.flags;
import static dev.vera4j.engine.tokenizer.Scan.has;

/**
 * Mistral's Tekken pre-tokenizer as llama.cpp runs it:
 * {@code [^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+}.
 * Call a letter that is not a-z "upper" and one that is not A-Z "lower" (so every non-ASCII letter is both); the
 * first two alternatives, with the regex engine's backtracking worked out, become: optional prefix, a run of
 * uppers, then either the lowers that follow it, or else the run cut after its last non-ASCII letter, or else
 * (second alternative) the whole run.
 */
final class TekkenSplit implements SplitStage {
    private static boolean isUpper(int[] cps, int pos, int start, int end) {
        int c = Scan.cp(cps, pos, start, end);
        return c != Scan.OUT && !(c >= 'a' && c <= 'z') && has(CodepointFlags.of(c), LETTER);
    }

    private static boolean isLower(int[] cps, int pos, int start, int end) {
        int c = Scan.cp(cps, pos, start, end);
        return c != Scan.OUT && !(c >= 'A' && c <= 'Z') && has(CodepointFlags.of(c), LETTER);
    }

    /** End of the cased-word match starting at {@code s} (after any prefix), or -1. */
    private static int word(int[] cps, int s, int start, int end) {
        int j = s;
        int lastBoth = -1;
        while (isUpper(cps, j, start, end)) {
            if (cps[j] >= 128) lastBoth = j;
            j++;
        }
        if (isLower(cps, j, start, end)) {
            while (isLower(cps, j, start, end)) j++;
            return j;
        }
        if (lastBoth >= 0) return lastBoth + 1;
        return j > s ? j : -1;
    }

    @Override
    public void split(int[] cps, int start, int end, IntList out) {
        int pos = start;
        while (pos < end) {
            int from = pos;
            int c = cps[pos];
            int f = flags(cps, pos, start, end);
            boolean prefix = c != '\r' && c != '\n' && !has(f, LETTER | NUMBER);
            int e = word(cps, prefix ? pos + 1 : pos, start, end);
            if (e > 0) {
                pos = e;
            } else if (has(f, NUMBER)) {
                pos++;
            } else {
                int f2 = c == ' ' ? flags(cps, pos + 1, start, end) : f;
                if (f2 != 0 && !has(f2, WHITESPACE | LETTER | NUMBER)) {
                    if (c == ' ') pos++;
                    while (pos < end && !has(CodepointFlags.of(cps[pos]), WHITESPACE | LETTER | NUMBER)) pos++;
                    while (pos < end && (cps[pos] == '\r' || cps[pos] == '\n' || cps[pos] == '/')) pos++;
                } else {
                    pos = Scan.whitespace(cps, pos, start, end, true);
                    if (pos == from) pos++;
                }
            }
            out.add(pos - from);
        }
    }
}
