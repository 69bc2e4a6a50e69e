package dev.vera4j.engine.tokenizer;

import static dev.vera4j.engine.tokenizer.CodepointFlags.LETTER;
import static dev.vera4j.engine.tokenizer.CodepointFlags.NUMBER;
import static dev.vera4j.engine.tokenizer.CodepointFlags.WHITESPACE;
import static dev.vera4j.engine.tokenizer.Scan.flags;
import static dev.vera4j.engine.tokenizer.Scan.has;

/** GPT-2's pre-tokenizer regex {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}. */
final class Gpt2Split implements SplitStage {
    @Override
    public void split(int[] cps, int start, int end, IntList out) {
        int pos = start;
        while (pos < end) {
            int from = pos;
            int c = cps[pos];
            int contraction = Scan.contraction(cps, pos, end, false);
            if (contraction > 0) {
                out.add(contraction);
                pos += contraction;
                continue;
            }
            int f = c == ' ' ? flags(cps, pos + 1, start, end) : flags(cps, pos, start, end);
            int skip = c == ' ' ? 1 : 0;
            if (has(f, LETTER)) {
                pos += skip;
                while (has(flags(cps, pos, start, end), LETTER)) pos++;
            } else if (has(f, NUMBER)) {
                pos += skip;
                while (has(flags(cps, pos, start, end), NUMBER)) pos++;
            } else if (!has(f, WHITESPACE | LETTER | NUMBER) && f != 0) {
                pos += skip;
                for (int g = f; !has(g, WHITESPACE | LETTER | NUMBER) && g != 0; g = flags(cps, pos, start, end)) pos++;
            } else {
                pos = Scan.whitespace(cps, pos, start, end, false);
                if (pos == from) pos++;
            }
            out.add(pos - from);
        }
    }
}
