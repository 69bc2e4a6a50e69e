package dev.vera4j.engine.tokenizer;

/**
 * A regex made of one character class repeated, optionally after one whitespace: {@code \p{N}} (each digit alone),
 * {@code \p{N}+}, the punctuation run {@code [\p{P}\$\+<=>\^~\|]+}, {@code [0-9][0-9][0-9]}, {@code \s?\p{L}+}, ...
 * Matches are leftmost and non-overlapping; the text between them is kept as pieces of its own.
 */
final class ClassRunSplit implements SplitStage {
    /** A set of code points. */
    interface CodepointClass {
        boolean contains(int cp);
    }

    /**
     * A bracket expression of literal code points and ranges, such as {@code A-Za-zµÀ-Ö}, matched the way llama.cpp
     * runs such regexes: against the text with non-ASCII whitespace replaced by U+000B.
     */
    record RangeClass(int[] from, int[] to) implements CodepointClass {
        static RangeClass parse(String body) {
            int[] cps = body.codePoints().toArray();
            IntList from = new IntList(cps.length), to = new IntList(cps.length);
            for (int i = 0; i < cps.length; i++) {
                boolean range = i + 2 < cps.length && cps[i + 1] == '-';
                from.add(cps[i]);
                to.add(range ? cps[i + 2] : cps[i]);
                if (range) i += 2;
            }
            return new RangeClass(from.toArray(), to.toArray());
        }

        @Override
        public boolean contains(int cp) {
            if (cp >= 128 && (CodepointFlags.of(cp) & CodepointFlags.WHITESPACE) != 0) cp = 0x0B;
            for (int i = 0; i < from.length; i++) if (cp >= from[i] && cp <= to[i]) return true;
            return false;
        }
    }

    /** Which code points the class holds. */
    enum CharClass implements CodepointClass {
        NUMBER, ASCII_DIGIT, PUNCTUATION, PUNCTUATION_AND_BACKTICK, NEWLINE, LETTER, STRICT_PUNCTUATION, CJK,
        WHITESPACE;

        @Override
        public boolean contains(int cp) {
            return switch (this) {
                case NUMBER -> (CodepointFlags.of(cp) & CodepointFlags.NUMBER) != 0;
                case ASCII_DIGIT -> cp >= '0' && cp <= '9';
                case PUNCTUATION -> punctuation(cp);
                case PUNCTUATION_AND_BACKTICK -> cp == '`' || punctuation(cp);
                case NEWLINE -> cp == '\r' || cp == '\n';
                case LETTER -> (CodepointFlags.of(cp) & CodepointFlags.LETTER) != 0;
                // llama.cpp's collapsed \p{P}: in ASCII only !"#%&'()*,-./:;?@[\]_{}
                case STRICT_PUNCTUATION -> cp < 128 ? "!\"#%&'()*,-./:;?@[\\]_{}".indexOf(cp) >= 0
                        : (CodepointFlags.of(cp) & (CodepointFlags.PUNCTUATION | CodepointFlags.WHITESPACE)) == CodepointFlags.PUNCTUATION;
                // [一-龥ࠀ-一가-퟿] of DeepSeek's pre-tokenizers; llama.cpp blanks non-ASCII whitespace out first
                case CJK -> ((cp >= 0x0800 && cp <= 0x9FA5) || (cp >= 0xAC00 && cp <= 0xD7FF))
                        && (CodepointFlags.of(cp) & CodepointFlags.WHITESPACE) == 0;
                case WHITESPACE -> (CodepointFlags.of(cp) & CodepointFlags.WHITESPACE) != 0;
            };
        }

        // ASCII: everything llama.cpp's collapsed \p{P} holds plus $+<=>^~| , i.e. all ASCII punctuation but the backtick
        private static boolean punctuation(int cp) {
            if (cp < 128) return cp > 0x20 && cp < 0x7F && !Character.isLetterOrDigit(cp) && cp != '`';
            int f = CodepointFlags.of(cp);
            return (f & CodepointFlags.WHITESPACE) == 0 && (f & CodepointFlags.PUNCTUATION) != 0;
        }
    }

    private final CodepointClass prefix;
    private final CodepointClass charClass;
    private final int minRun;
    private final int maxRun;

    /** A match is {@code minRun..maxRun} members of the class, as many as possible. */
    ClassRunSplit(CodepointClass charClass, int minRun, int maxRun) { this(null, charClass, minRun, maxRun); }

    /** Like {@link #ClassRunSplit(CodepointClass, int, int)}, after one optional member of {@code prefix}. */
    ClassRunSplit(CodepointClass prefix, CodepointClass charClass, int minRun, int maxRun) {
        this.prefix = prefix;
        this.charClass = charClass;
        this.minRun = minRun;
        this.maxRun = maxRun;
    }

    @Override
    public void split(int[] cps, int start, int end, IntList out) {
        int gapStart = start;
        int pos = start;
        while (pos < end) {
            if (prefix != null && prefix.contains(cps[pos]) && pos + 1 < end && !charClass.contains(cps[pos])
                    && charClass.contains(cps[pos + 1])) {
                // the optional prefix, taken greedily: only the minRun = 1 classes use one
                int run = pos + 1;
                while (run < end && run - pos - 1 < maxRun && charClass.contains(cps[run])) run++;
                if (pos > gapStart) out.add(pos - gapStart);
                out.add(run - pos);
                pos = run;
                gapStart = run;
                continue;
            }
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
