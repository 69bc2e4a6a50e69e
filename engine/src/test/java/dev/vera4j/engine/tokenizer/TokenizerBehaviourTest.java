package dev.vera4j.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Special tokens, BOS/EOS, end-of-generation ids, pieces and streaming on the real vocabularies. */
class TokenizerBehaviourTest {
    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }

    @Test
    void addSpecialFollowsTheModelFlags() {
        Tokenizer spm = VocabSuites.tokenizer("llama-spm");
        assertArrayEquals(new int[] {15043, 3186}, spm.encode("Hello world", false, false));
        assertArrayEquals(new int[] {1, 15043, 3186}, spm.encode("Hello world", true, false)); // add_bos, no add_eos
        Tokenizer bpe = VocabSuites.tokenizer("llama-bpe");
        assertArrayEquals(new int[] {128000, 9906, 1917}, bpe.encode("Hello world", true, false));
        Tokenizer gpt2 = VocabSuites.tokenizer("gpt-2"); // no add_bos_token key: llama.cpp's default for gpt-2 is false
        assertArrayEquals(gpt2.encode("Hello world", false, false), gpt2.encode("Hello world", true, false));
        assertArrayEquals(new int[0], spm.encode("", false, false));
        assertArrayEquals(new int[] {1}, spm.encode("", true, false));
    }

    @Test
    void controlTokensAreParsedOnlyWhenAsked() {
        Tokenizer bpe = VocabSuites.tokenizer("llama-bpe");
        int[] hi = bpe.encode("Hi", false, false);
        assertArrayEquals(concat(new int[] {128006}, hi, new int[] {128009}),
                bpe.encode("<|start_header_id|>Hi<|eot_id|>", false, true));
        int[] literal = bpe.encode("<|eot_id|>", false, false);
        assertTrue(literal.length > 1 && Arrays.stream(literal).allMatch(id -> id < 128000), Arrays.toString(literal));

        Tokenizer spm = VocabSuites.tokenizer("llama-spm");
        // after a special token SPM starts a new fragment, again with the leading space
        assertArrayEquals(concat(new int[] {1}, spm.encode("Hello", false, false), new int[] {2}),
                spm.encode("<s>Hello</s>", false, true));
        assertFalse(Arrays.stream(spm.encode("<s>Hello</s>", false, false)).anyMatch(id -> id == 1 || id == 2));
    }

    @Test
    void userDefinedTokensAreAlwaysMatchedAndPhi3StripsSpacesAfterThem() {
        Tokenizer phi3 = VocabSuites.tokenizer("phi-3");
        // "</s>" is user-defined in this vocabulary, and llama.cpp gives Phi-3 special tokens the RSTRIP attribute
        int[] expected = concat(phi3.encode("Hi", false, false), new int[] {2}, phi3.encode("there", false, false));
        assertArrayEquals(expected, phi3.encode("Hi</s>  \n there", false, false));
        // control tokens such as <|end|> still need parseSpecial, and then swallow the spaces after them too
        assertArrayEquals(concat(new int[] {32010}, phi3.encode("Hi", false, false), new int[] {32007}),
                phi3.encode("<|user|> \nHi<|end|>", false, true));
    }

    @Test
    void endOfGenerationCoversEosAndEndOfTurnTokens() {
        Tokenizer bpe = VocabSuites.tokenizer("llama-bpe");
        assertEquals(128000, bpe.bos());
        assertEquals(128009, bpe.eos());
        assertTrue(bpe.isEndOfGeneration(128009));  // <|eot_id|>
        assertTrue(bpe.isEndOfGeneration(128008));  // <|eom_id|>
        assertFalse(bpe.isEndOfGeneration(128000));
        assertFalse(bpe.isEndOfGeneration(9906));
        assertFalse(bpe.isEndOfGeneration(-1));
        Tokenizer phi3 = VocabSuites.tokenizer("phi-3");
        assertTrue(phi3.isEndOfGeneration(32000));  // eos <|endoftext|>
        assertTrue(phi3.isEndOfGeneration(32007));  // <|end|>
        assertFalse(phi3.isEndOfGeneration(2));
        Tokenizer spm = VocabSuites.tokenizer("llama-spm");
        assertEquals(1, spm.bos());
        assertEquals(2, spm.eos());
        assertTrue(spm.isEndOfGeneration(2));
        assertEquals(32000, spm.vocabSize());
    }

    @Test
    void piecesShowSpecialTokensAndDecodingHidesControlTokens() {
        Tokenizer spm = VocabSuites.tokenizer("llama-spm");
        assertEquals("<s>", spm.piece(1));
        assertEquals(" Hello", spm.piece(15043));
        assertArrayEquals(new byte[] {0x0A}, spm.pieceBytes(13)); // <0x0A>
        // llama.cpp strips the first token's leading space even when that token is BOS, so the space stays
        assertEquals(" Hello world", spm.decode(new int[] {1, 15043, 3186}));
        assertEquals("Hello world", spm.decode(new int[] {15043, 3186}));
        Tokenizer bpe = VocabSuites.tokenizer("llama-bpe");
        assertEquals("<|eot_id|>", bpe.piece(128009));
        assertEquals(" world", bpe.piece(1917));
        assertEquals("Hello world", bpe.decode(new int[] {128000, 9906, 1917, 128009}));
    }

    @Test
    void streamingHoldsBackCharactersSplitOverByteTokens() {
        Tokenizer spm = VocabSuites.tokenizer("llama-spm");
        int[] ids = spm.encode("a😀b", false, false);
        List<String> parts = new ArrayList<>();
        StreamingDecoder d = spm.streamingDecoder();
        for (int id : ids) parts.add(d.accept(id));
        parts.add(d.flush());
        assertEquals("a😀b", String.join("", parts));
        assertTrue(parts.stream().noneMatch(p -> p.contains("\uFFFD")), parts.toString());
        assertTrue(parts.contains("😀"), "the emoji appears whole once its last byte arrives: " + parts);

        StreamingDecoder cut = spm.streamingDecoder();
        int lead = 0;
        while (!Arrays.equals(spm.pieceBytes(ids[lead]), new byte[] {(byte) 0xF0})) lead++;
        int[] emoji = Arrays.copyOfRange(ids, lead, lead + 2); // the first two of its four byte tokens
        assertEquals("", cut.accept(emoji[0]) + cut.accept(emoji[1]));
        assertEquals("\uFFFD", cut.flush());
    }

    @Test
    void streamingWaitsForTheSpaceCleanupOfByteLevelBpe() {
        Tokenizer bpe = VocabSuites.tokenizer("llama-bpe");
        int[] ids = bpe.encode("Why ? Because it 's", false, false);
        StreamingDecoder d = bpe.streamingDecoder();
        StringBuilder out = new StringBuilder();
        for (int id : ids) out.append(d.accept(id));
        out.append(d.flush());
        assertEquals("Why? Because it's", out.toString());
        assertEquals(bpe.decode(ids), out.toString());
    }

    @Test
    void streamingEqualsDecodingAroundEveryCleanupPattern() {
        // text made of exactly the bytes the clean-up looks at, so that tokens end at every kind of boundary
        String alphabet = "  ''smrvet?.,!x\u00e9\n";
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(17);
        for (String suite : new String[] {"llama-bpe", "gpt-2"}) {
            Tokenizer tok = VocabSuites.tokenizer(suite);
            for (int round = 0; round < 3000; round++) {
                StringBuilder sb = new StringBuilder();
                for (int i = rnd.nextInt(1, 25); i > 0; i--) sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
                int[] ids = tok.encode(sb.toString(), false, false);
                StreamingDecoder d = tok.streamingDecoder();
                StringBuilder streamed = new StringBuilder();
                for (int id : ids) streamed.append(d.accept(id));
                streamed.append(d.flush());
                assertEquals(tok.decode(ids), streamed.toString(), suite + " '" + sb + "'");
            }
        }
    }

    @Test
    void streamingEmitsTextAsSoonAsTheCleanupCannotChangeIt() {
        Tokenizer bpe = VocabSuites.tokenizer("llama-bpe");
        StreamingDecoder d = bpe.streamingDecoder();
        StringBuilder out = new StringBuilder();
        int[] ids = bpe.encode("a = b + c - d * e", false, false);
        for (int id : ids) out.append(d.accept(id));
        assertEquals("a = b + c - d * e", out.toString()); // nothing held back: the text ends in a plain byte
        assertEquals("", d.flush());
    }
}
