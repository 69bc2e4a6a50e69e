package dev.vera4j.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Large mixed-script random text (fixed seed): ASCII, accents, CJK, emoji, control characters and lone surrogates.
 * Tokenizing never throws; decoding gives the text back for the SPM vocabulary; streaming equals whole decoding.
 */
class RandomTextTest {
    /** Code points drawn from several scripts and troublemakers, including unpaired surrogates. */
    static String randomText(SplittableRandom rnd, int chars) {
        StringBuilder sb = new StringBuilder(chars + 2);
        while (sb.length() < chars) {
            int r = rnd.nextInt(100);
            if (r < 40) sb.append((char) rnd.nextInt(0x20, 0x7F));                        // printable ASCII
            else if (r < 50) sb.append(" \n\t  \r\n".charAt(rnd.nextInt(7)));           // whitespace
            else if (r < 53) sb.append((char) rnd.nextInt(0, 0x20));                      // control characters
            else if (r < 63) sb.append((char) rnd.nextInt(0xC0, 0x250));                  // accented Latin
            else if (r < 73) sb.append((char) rnd.nextInt(0x4E00, 0x9FA6));                // CJK
            else if (r < 78) sb.append((char) rnd.nextInt(0x0400, 0x0530));                // Cyrillic, Armenian
            else if (r < 85) sb.appendCodePoint(rnd.nextInt(0x1F300, 0x1FA00));           // emoji
            else if (r < 88) sb.append((char) rnd.nextInt(0xD800, 0xE000));                // lone surrogate
            else if (r < 90) sb.append('\u2581');                                          // SPM's own space mark
            else if (r < 95) sb.append("'s 're ?!., ' ".charAt(rnd.nextInt(14)));
            else sb.appendCodePoint(rnd.nextInt(0x80, 0x30000));                           // anything
        }
        return sb.toString();
    }

    /** What the text reads as once UTF-8 encoded: each unpaired surrogate is U+FFFD. */
    static String utf8Normalized(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else {
                sb.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return sb.toString();
    }

    /** Cuts at a random length of 1..4 KB, never inside a surrogate pair. */
    private static int chunkEnd(String s, int from, SplittableRandom rnd) {
        int end = Math.min(s.length(), from + rnd.nextInt(1024, 4097));
        if (end < s.length() && Character.isLowSurrogate(s.charAt(end)) && Character.isHighSurrogate(s.charAt(end - 1))) end++;
        return end;
    }

    @Test
    void tenMegabytesRoundTripThroughSpm() {
        Tokenizer tok = VocabSuites.tokenizer("llama-spm");
        SplittableRandom rnd = new SplittableRandom(42);
        long bytes = 0, tokens = 0;
        long t0 = System.nanoTime();
        while (bytes < 10_000_000) {
            String text = randomText(rnd, 256 * 1024);
            for (int from = 0; from < text.length(); ) {
                int end = chunkEnd(text, from, rnd);
                String chunk = text.substring(from, end);
                from = end;
                int[] ids = tok.encode(chunk, false, false);
                tokens += ids.length;
                // SPM writes spaces as U+2581, so a U+2581 in the input comes back as a space, as in llama.cpp
                String expected = utf8Normalized(chunk).replace('\u2581', ' ');
                String decoded = tok.decode(ids);
                if (!decoded.equals(expected)) fail("round trip differs for chunk at " + bytes + ": " + firstDifference(expected, decoded));
                bytes += chunk.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("SPM round trip: %d bytes, %d tokens, %.1f s%n", bytes, tokens, seconds);
        assertTrue(tokens > bytes / 8, "suspiciously few tokens: " + tokens);
    }

    @Test
    void streamingEqualsDecodingOnRandomText() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (String suite : new String[] {"llama-spm", "phi-3", "gpt-2", "llama-bpe"}) {
            Tokenizer tok = VocabSuites.tokenizer(suite);
            for (int round = 0; round < 300; round++) {
                String text = randomText(rnd, rnd.nextInt(1, 300));
                int[] ids = tok.encode(text, rnd.nextBoolean(), rnd.nextBoolean());
                StreamingDecoder d = tok.streamingDecoder();
                StringBuilder streamed = new StringBuilder();
                for (int id : ids) streamed.append(d.accept(id));
                streamed.append(d.flush());
                assertEquals(tok.decode(ids), streamed.toString(), suite + " round " + round);
            }
        }
    }

    @Test
    void byteLevelBpeRoundTripsTextWithoutCleanupPatterns() {
        // the clean-up only touches a space before ? ! . , or around an apostrophe; without those, BPE is lossless
        SplittableRandom rnd = new SplittableRandom(11);
        for (String suite : new String[] {"gpt-2", "llama-bpe"}) {
            Tokenizer tok = VocabSuites.tokenizer(suite);
            for (int round = 0; round < 200; round++) {
                String text = randomText(rnd, rnd.nextInt(1, 2000)).replace("'", "").replace(" ?", "?")
                        .replace(" !", "!").replace(" .", ".").replace(" ,", ",");
                // removing one pattern can create another (" ,?" -> " ?"): repeat until stable
                String prev;
                do {
                    prev = text;
                    text = text.replace(" ?", "?").replace(" !", "!").replace(" .", ".").replace(" ,", ",");
                } while (!text.equals(prev));
                assertEquals(utf8Normalized(text), tok.decode(tok.encode(text, false, false)), suite + " round " + round);
            }
        }
    }

    private static String firstDifference(String a, String b) {
        int i = 0;
        while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) i++;
        return "at char " + i + ": expected '" + a.substring(i, Math.min(a.length(), i + 20)) + "' got '"
                + b.substring(i, Math.min(b.length(), i + 20)) + "'";
    }
}
