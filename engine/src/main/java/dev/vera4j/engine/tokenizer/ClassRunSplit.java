package dev.vera4j.engine.tokenizer;

/**
 * A regex made of one character class repeated: {@code \p{N}} (each digit alone), {@code \p{N}+}, the punctuation
 * run {@code [\p{P}\$\+<=>\^~\|]+}, or {@code [0-9][0-9][0-9]}. Matches are leftmost and non-overlapping; the text
 * between them is kept as pieces of its own.
 */
final class ClassRunSplit implements SplitStage {
    /** Which code points the class holds. */
    enum CharClass {
        NUMBER, ASCII_DIGIT, PUNCTUATION, PUNCTUATION_AND_BACKTICK;

        boolean contains(int cp) {
            return switch (this) {
                case NUMBER -> (CodepointFlags.of(cp) & CodepointFlags.NUMBER) != 0;
                case ASCII_DIGIT -> cp >= '0' && cp <= '9';
                case PUNCTUATION -> punctuation(cp);
                case PUNCTUATION_AND_BACKTICK -> cp == '`' || punctuation(cp);
            };
        }

        // ASCII: everything llama.cpp's collapsed \p{P} holds plus $+<=>^~| , i.e. all ASCII punctuation but the backtick
        private static boolean punctuation(int cp) {
            if (cp < 128) return cp > 0x20 && cp < 0x7F && !Character.isLetterOrDigit(cp) && cp != '`';
            int f = CodepointFlags.of(cp);
            return (f & CodepointFlags.WHITESPACE) == 0 && (f & CodepointFlags.PUNCTUATION) != 0;
        }
    }

    private final CharClass charClass;
    private final int minRun;
    private final int maxRun;

    /** A match is {@code minRun..maxRun} members of the class, as many as possible. */
    ClassRunSplit(CharClass charClass, int minRun, int maxRun) {
        this.charClass = charClass;
        this.minRun = minRun;
        this.maxRun = maxRun;
    }

    @Override
    public void split(int[] cps, int start, int end, IntList out) {
        int gapStart = start;
        int pos = start;
        while (pos < end) {
            if (!charClass.contains(cps[pos])) { pos++; continue; }
            int run = pos;
            while (run < end && run - pos < maxRun && charClass.contains(cps[run])) run++;
            if (run - pos < minRun) {
                // too short here, and every later start inside this run is shorter still
                while (run < end && charClass.contains(cps[run])) run++;
                pos = run;
                continue;
            }
            if (pos > gapStart) out.add(pos - gapStart);
            out.add(run - pos);
            pos = run;
            gapStart = run;
        }
        if (end > gapStart) out.add(end - gapStart);
    }
}
