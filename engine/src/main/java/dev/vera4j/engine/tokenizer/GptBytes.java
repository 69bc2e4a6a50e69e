package dev.vera4j.engine.tokenizer;

/**
 * GPT-2's byte-to-unicode table: byte-level BPE vocabularies spell every raw byte as one printable code point
 * (printable Latin-1 bytes as themselves, the rest as U+0100 + n), so a space is {@code Ġ} (U+0120).
 */
final class GptBytes {
    private static final int[] BYTE_TO_CP = new int[256];
    private static final int[] CP_TO_BYTE = new int[324];

    static {
        java.util.Arrays.fill(CP_TO_BYTE, -1);
        boolean[] printable = new boolean[256];
        for (int b = 0x21; b <= 0x7E; b++) printable[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) printable[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) printable[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++) {
            BYTE_TO_CP[b] = printable[b] ? b : 256 + n++;
            CP_TO_BYTE[BYTE_TO_CP[b]] = b;
        }
    }

    private GptBytes() {}

    /** The code point that stands for raw byte {@code b} (0..255). */
    static int codepoint(int b) { return BYTE_TO_CP[b & 0xFF]; }

    /** The raw byte a code point stands for, or -1 when it is not part of the table. */
    static int byteOf(int cp) { return cp >= 0 && cp < CP_TO_BYTE.length ? CP_TO_BYTE[cp] : -1; }

    /** Raw bytes spelled by {@code text}, or {@code null} when some code point is not in the table. */
    static byte[] toRawBytes(String text) {
        byte[] out = new byte[text.codePointCount(0, text.length())];
        int o = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            int b = byteOf(cp);
            if (b < 0) return null;
            out[o++] = (byte) b;
        }
        return out;
    }
}
