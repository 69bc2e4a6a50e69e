package dev.vera4j.engine.tokenizer;

import static dev.vera4j.engine.tokenizer.CodepointFlags.LETTER;
import static dev.vera4j.engine.tokenizer.CodepointFlags.NUMBER;
import static dev.vera4j.engine.tokenizer.CodepointFlags.WHITESPACE;
import static dev.vera4j.engine.tokenizer.Scan.flags;
import static dev.vera4j.engine.tokenizer.Scan.has;

/**
 * Llama 3's pre-tokenizer regex
 * {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+};
 * with {@code maxDigits = 1} it is Qwen2's, which differs only in {@code \p{N}} instead of {@code \p{N}{1,3}}.
 */
final class Llama3Split implements SplitStage {
    private final int maxDigits;

    Llama3Split(int maxDigits) { this.maxDigits = maxDigits; }

    @Override
    public void split(int[] cps, int start, int end, IntList out) {
        int pos = start;
        while (pos < end) {
            int from = pos;
            int c = cps[pos];
            int f = flags(cps, pos, start, end);
            int contraction = Scan.contraction(cps, pos, end, true);
            if (contraction > 0) {
                out.add(contraction);
                pos += contraction;
                continue;
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (c != '\r' && c != '\n' && !has(f, NUMBER)
                    && (has(f, LETTER) || has(flags(cps, pos + 1, start, end), LETTER))) {
                pos++;
                while (has(flags(cps, pos, start, end), LETTER)) pos++;
                out.add(pos - from);
                continue;
            }
            // \p{N}{1,maxDigits}
            if (has(f, NUMBER)) {
                while (pos < end && pos - from < maxDigits && has(flags(cps, pos, start, end), NUMBER)) pos++;
                out.add(pos - from);
                continue;
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'; a lone trailing space also lands here, as one piece like \s+ would make
            int f2 = c == ' ' ? flags(cps, pos + 1, start, end) : f;
            if (!has(f2, WHITESPACE | LETTER | NUMBER)) {
                if (c == ' ') pos++;
                for (int g = f2; !has(g, WHITESPACE | LETTER | NUMBER) && g != 0; g = flags(cps, pos, start, end)) pos++;
                while (pos < end && (cps[pos] == '\r' || cps[pos] == '\n')) pos++;
                out.add(pos - from);
                continue;
            }
            pos = Scan.whitespace(cps, pos, start, end, true);
            if (pos == from) pos++;
            out.add(pos - from);
        }
    }
}
