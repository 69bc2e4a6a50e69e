package dev.vera4j.engine.tokenizer;

/**
 * Finds special tokens written out in the text, as llama.cpp's {@code tokenizer_st_partition} does: for each special
 * token, longest first, every occurrence inside a not-yet-matched stretch of text becomes that token. Control and
 * unknown tokens are only looked for when {@code parseSpecial} is set; user-defined tokens always are. A token with
 * the LSTRIP/RSTRIP attribute swallows the ASCII whitespace before/after it.
 *
 * <p>The result is a list of fragments, each either a token id or a stretch {@code [offset, offset+length)} of text.
 */
final class SpecialTokenSplitter {
    /** Fragments as triples (token id or -1, offset, length). */
    static final class Fragments {
        IntList items = new IntList(16);
        private IntList spare = new IntList(16);

        int count() { return items.size() / 3; }

        /** The token id of fragment {@code i}, or -1 when it is text. */
        int token(int i) { return items.get(3 * i); }

        int offset(int i) { return items.get(3 * i + 1); }

        int length(int i) { return items.get(3 * i + 2); }

        private void swap() {
            IntList t = items;
            items = spare;
            spare = t;
            spare.clear();
        }
    }

    private final Vocab vocab;

    SpecialTokenSplitter(Vocab vocab) { this.vocab = vocab; }

    /** Splits {@code text} into {@code out}; an empty text gives no fragments. */
    void split(byte[] text, boolean parseSpecial, Fragments out) {
        out.items.clear();
        out.spare.clear();
        if (text.length == 0) return;
        add(out.items, -1, 0, text.length);
        for (int id : vocab.specialTokens) {
            if (!parseSpecial && vocab.isControlOrUnknown(id)) continue;
            byte[] pattern = vocab.textBytes[id];
            int attr = vocab.attrs[id];
            boolean found = false;
            for (int f = 0; f < out.count(); f++) {
                if (out.token(f) >= 0 || indexOf(text, pattern, out.offset(f), out.offset(f) + out.length(f)) < 0) continue;
                found = true;
                break;
            }
            if (!found) continue;
            IntList next = out.spare;
            for (int f = 0; f < out.count(); f++) {
                int tok = out.token(f), off = out.offset(f), len = out.length(f);
                if (tok >= 0) { add(next, tok, off, len); continue; }
                splitFragment(text, pattern, id, attr, off, len, next);
            }
            out.swap();
        }
    }

    private static void splitFragment(byte[] text, byte[] pattern, int id, int attr, int off, int len, IntList next) {
        while (true) {
            int match = indexOf(text, pattern, off, off + len);
            if (match < 0) {
                if (len > 0) add(next, -1, off, len);
                return;
            }
            int leftLen = match - off;
            if ((attr & TokenAttr.LSTRIP) != 0) {
                while (leftLen > 0 && isSpace(text[off + leftLen - 1])) leftLen--;
            }
            if (leftLen > 0) add(next, -1, off, leftLen);
            add(next, id, match, pattern.length);
            int rightOff = match + pattern.length;
            int rightLen = off + len - rightOff;
            if ((attr & TokenAttr.RSTRIP) != 0) {
                while (rightLen > 0 && isSpace(text[rightOff])) { rightOff++; rightLen--; }
            }
            off = rightOff;
            len = rightLen;
        }
    }

    private static void add(IntList l, int token, int off, int len) {
        l.add(token);
        l.add(off);
        l.add(len);
    }

    /** C's {@code isspace} in the C locale. */
    private static boolean isSpace(byte b) { return b == ' ' || (b >= 9 && b <= 13); }

    /** First occurrence of {@code p} entirely inside {@code t[from, to)}, or -1. */
    static int indexOf(byte[] t, byte[] p, int from, int to) {
        int n = p.length;
        if (n == 0) return -1;
        byte first = p[0];
        for (int i = from, last = to - n; i <= last; i++) {
            if (t[i] != first) continue;
            int k = 1;
            while (k < n && t[i + k] == p[k]) k++;
            if (k == n) return i;
        }
        return -1;
    }
}
