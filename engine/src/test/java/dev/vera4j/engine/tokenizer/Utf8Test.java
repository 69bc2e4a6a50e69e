package dev.vera4j.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class Utf8Test {
    private static String decode(byte[] b) {
        StringBuilder sb = new StringBuilder();
        Utf8.decode(b, 0, b.length, sb);
        return sb.toString();
    }

    @Test
    void encodesLikeTheJdkAndLoneSurrogatesAsReplacementCharacter() {
        String s = "aé中😀\u0000";
        assertArrayEquals(s.getBytes(StandardCharsets.UTF_8), Utf8.encode(s));
        assertArrayEquals(new byte[] {'x', (byte) 0xEF, (byte) 0xBF, (byte) 0xBD, 'y'}, Utf8.encode("x\uD800y"));
        assertArrayEquals(new byte[] {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD}, Utf8.encode("\uDC00"));
        assertEquals("x\uFFFDy", Utf8.normalize("x\uDBFFy"));
    }

    @Test
    void decodesValidTextLikeTheJdk() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int round = 0; round < 2000; round++) {
            String s = RandomTextTest.utf8Normalized(RandomTextTest.randomText(rnd, rnd.nextInt(0, 50)));
            assertEquals(s, decode(s.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void replacesEachMaximalIllFormedSubpart() {
        // the example of the Unicode Standard, section 3.9 (U+FFFD substitution of maximal subparts)
        byte[] b = java.util.HexFormat.of().parseHex("61f18080e180c262806380bf64");
        assertEquals("a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd", decode(b));
        assertEquals("\uFFFD\uFFFD\uFFFD", decode(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})); // surrogate
        assertEquals("\uFFFD\uFFFD", decode(new byte[] {(byte) 0xC0, (byte) 0xAF})); // overlong
    }

    @Test
    void decodingInPiecesCutAtIncompleteTailsEqualsDecodingAtOnce() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int round = 0; round < 20000; round++) {
            byte[] b = new byte[rnd.nextInt(0, 16)];
            for (int i = 0; i < b.length; i++) {
                int r = rnd.nextInt(4);
                b[i] = (byte) (r == 0 ? rnd.nextInt(0, 0x80) : r == 1 ? rnd.nextInt(0x80, 0xC0) : rnd.nextInt(0xC0, 0x100));
            }
            // feed the bytes in random slices, holding back incomplete tails, as StreamingDecoder does
            StringBuilder streamed = new StringBuilder();
            byte[] pending = new byte[b.length];
            int n = 0;
            for (int i = 0; i < b.length; ) {
                int k = rnd.nextInt(1, 4);
                for (int j = 0; j < k && i < b.length; j++) pending[n++] = b[i++];
                int hold = Utf8.incompleteTail(pending, 0, n);
                Utf8.decode(pending, 0, n - hold, streamed);
                System.arraycopy(pending, n - hold, pending, 0, hold);
                n = hold;
            }
            Utf8.decode(pending, 0, n, streamed);
            assertEquals(decode(b), streamed.toString(), () -> java.util.HexFormat.of().formatHex(b));
        }
    }

    @Test
    void incompleteTailIsWhatTheNextBytesMayComplete() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8); // E2 82 AC
        assertEquals(0, Utf8.incompleteTail(euro, 0, 3));
        assertEquals(2, Utf8.incompleteTail(euro, 0, 2));
        assertEquals(1, Utf8.incompleteTail(euro, 0, 1));
        assertEquals(0, Utf8.incompleteTail(new byte[] {'a', (byte) 0x82}, 0, 2)); // stray continuation: nothing to wait for
        assertEquals(1, Utf8.incompleteTail(new byte[] {(byte) 0xC3, (byte) 0xE2}, 0, 2));
        assertEquals(0, Utf8.incompleteTail(new byte[] {(byte) 0xE0, (byte) 0x80}, 0, 2)); // E0 80 can never be valid
    }
}
