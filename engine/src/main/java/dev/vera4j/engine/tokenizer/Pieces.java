package dev.vera4j.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The bytes each token stands for, as llama.cpp's {@code token_to_piece} renders them, and the whole-text clean-up
 * its {@code detokenize} applies.
 *
 * <p>SPM: {@code ▁} becomes a space and {@code <0xNN>} the byte NN. BPE: the GPT-2 byte spelling is undone. Control,
 * user-defined and unknown tokens render as their text; in decoded text (not "special") control and unknown tokens
 * render as nothing.
 */
final class Pieces {
    private static final byte[] EMPTY = {};

    private final byte[][] special;
    private final byte[][] plain;
    final boolean removeLeadingSpace;
    final boolean cleanSpaces;

    Pieces(Vocab v) {
        int n = v.size();
        special = new byte[n][];
        plain = new byte[n][];
        for (int id = 0; id < n; id++) {
            special[id] = render(v, id);
            plain[id] = v.isControlOrUnknown(id) ? EMPTY : special[id];
        }
        removeLeadingSpace = v.addSpacePrefix;
        cleanSpaces = v.kind == Vocab.Kind.BPE && v.pre.cleanSpaces();
    }

    int size() { return special.length; }

    /** The piece with special tokens shown (what {@code llama-tokenize} prints); callers must not modify it. */
    byte[] special(int id) { return special[check(id)]; }

    /** The piece as it appears in decoded text; callers must not modify it. */
    byte[] plain(int id) { return plain[check(id)]; }

    private int check(int id) {
        if (id < 0 || id >= special.length) throw new TokenizerException("token id " + id + " is out of range [0, " + special.length + ")");
        return id;
    }

    private static byte[] render(Vocab v, int id) {
        int attr = v.attrs[id];
        byte[] text = v.textBytes[id];
        if ((attr & (TokenAttr.UNKNOWN | TokenAttr.CONTROL | TokenAttr.USER_DEFINED)) != 0) return text;
        if (v.kind == Vocab.Kind.SPM) {
            if ((attr & TokenAttr.NORMAL) != 0) return unescapeSpaces(text);
            if ((attr & TokenAttr.BYTE) != 0) return new byte[] {(byte) hexByte(v.texts[id])};
            return EMPTY;
        }
        if ((attr & TokenAttr.NORMAL) != 0) return gptDecode(v.texts[id]);
        return EMPTY;
    }

    private static byte[] unescapeSpaces(byte[] t) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(t.length);
        for (int i = 0; i < t.length; i++) {
            if (i + 2 < t.length && t[i] == (byte) 0xE2 && t[i + 1] == (byte) 0x96 && t[i + 2] == (byte) 0x81) {
                out.write(' ');
                i += 2;
            } else {
                out.write(t[i]);
            }
        }
        return out.toByteArray();
    }

    /** The byte of a {@code <0xNN>} token, read like llama.cpp's {@code strtol(text.substr(3, 2), 16)}. */
    private static int hexByte(String text) {
        String hex = text.length() >= 5 ? text.substring(3, 5) : text.length() > 3 ? text.substring(3) : "";
        int v = 0;
        for (int i = 0; i < hex.length(); i++) {
            int d = Character.digit(hex.charAt(i), 16);
            if (d < 0) break;
            v = v * 16 + d;
        }
        return v;
    }

    /** Undoes the GPT-2 byte spelling; a code point outside the table is written out the way llama.cpp does. */
    private static byte[] gptDecode(String text) {
        byte[] raw = GptBytes.toRawBytes(text);
        if (raw != null) return raw;
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        text.codePoints().forEach(cp -> {
            int b = GptBytes.byteOf(cp);
            if (b >= 0) { out.write(b); return; }
            StringBuilder s = new StringBuilder("[UNK_BYTE_0x");
            for (byte e : Utf8.encode(Character.toString(cp))) s.append(String.format("%02x", e & 0xFF));
            s.append(text).append(']');
            out.writeBytes(s.toString().getBytes(StandardCharsets.UTF_8));
        });
        return out.toByteArray();
    }

    /** Raw bytes of the decoded text of {@code ids} (before UTF-8 decoding), exactly llama.cpp's {@code detokenize}. */
    byte[] detokenize(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int i = 0; i < ids.length; i++) {
            byte[] p = plain(ids[i]);
            int skip = i == 0 && removeLeadingSpace && p.length > 0 && p[0] == ' ' ? 1 : 0;
            out.write(p, skip, p.length - skip);
        }
        byte[] text = out.toByteArray();
        return cleanSpaces ? clean(text, text.length) : text;
    }

    /**
     * llama.cpp's {@code clean_up_tokenization_spaces}: drops the space before {@code ? ! . ,}, around a lone
     * {@code '}, and before {@code 's 'm 're 've}. Returns a new array of the cleaned bytes of {@code t[0, n)}.
     */
    static byte[] clean(byte[] t, int n) {
        byte[] a = java.util.Arrays.copyOf(t, n);
        int total = n;
        // pass 1: " ?", " !", " .", " ,"
        int in = total;
        total = in > 0 ? 1 : 0;
        for (int i = 1; i < in; i++) {
            byte x = a[i];
            if (a[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) total--;
            a[total++] = x;
        }
        // pass 2: " ' " -> "'"
        in = total;
        total = in > 0 ? 1 : 0;
        for (int i = 1; i < in; i++) {
            byte x = a[i];
            if (x == '\'' && i + 1 < in && a[i - 1] == ' ' && a[i + 1] == ' ') {
                total--;
                a[++i] = 0;
            }
            a[total++] = x;
        }
        // pass 3: " 's", " 'm", " 're", " 've"
        in = total;
        total = in > 0 ? 1 : 0;
        for (int i = 1; i < in; i++) {
            byte x = a[i];
            if (a[i - 1] == ' ' && x == '\'' && i + 1 < in) {
                byte x1 = a[i + 1];
                if (x1 == 's' || x1 == 'm') total--;
                else if (i + 2 < in && ((x1 == 'r' && a[i + 2] == 'e') || (x1 == 'v' && a[i + 2] == 'e'))) total--;
            }
            a[total++] = x;
        }
        return java.util.Arrays.copyOf(a, total);
    }
}
