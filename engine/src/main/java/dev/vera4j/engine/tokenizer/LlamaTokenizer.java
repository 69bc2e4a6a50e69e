package dev.vera4j.engine.tokenizer;

/**
 * The {@link Tokenizer} for SPM and byte-level BPE vocabularies, following llama.cpp's {@code llama_vocab::tokenize}:
 * special tokens are split out first, then each stretch of text goes through the model's algorithm.
 */
final class LlamaTokenizer implements Tokenizer {
    private final Vocab vocab;
    private final Pieces pieces;
    private final SpecialTokenSplitter splitter;
    private final BpeMerges merges;
    private final int[][] byteFallback;

    LlamaTokenizer(Vocab vocab, BpeMerges merges) {
        this.vocab = vocab;
        this.pieces = new Pieces(vocab);
        this.splitter = new SpecialTokenSplitter(vocab);
        this.merges = merges;
        this.byteFallback = merges == null ? null : BpeEncoder.byteFallback(vocab.textTable);
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        byte[] bytes = Utf8.encode(text);
        SpecialTokenSplitter.Fragments fragments = new SpecialTokenSplitter.Fragments();
        splitter.split(bytes, parseSpecial, fragments);
        IntList out = new IntList(bytes.length / 3 + 4);
        boolean addBos = addSpecial && vocab.addBos;
        boolean addEos = addSpecial && vocab.addEos;
        if (addBos) {
            if (vocab.bos < 0) throw new TokenizerException("the model asks for a BOS token but has none");
            out.add(vocab.bos);
        }
        if (vocab.kind == Vocab.Kind.SPM) {
            SpmEncoder spm = new SpmEncoder(vocab);
            boolean prevSpecial = true;
            for (int f = 0; f < fragments.count(); f++) {
                int tok = fragments.token(f);
                if (tok >= 0) { out.add(tok); prevSpecial = true; continue; }
                spm.encode(SpmEncoder.escape(bytes, fragments.offset(f), fragments.length(f),
                        vocab.addSpacePrefix && prevSpecial), out);
                prevSpecial = false;
            }
        } else {
            BpeEncoder bpe = new BpeEncoder(vocab, merges, byteFallback);
            for (int f = 0; f < fragments.count(); f++) {
                int tok = fragments.token(f);
                if (tok >= 0) out.add(tok);
                else bpe.encode(bytes, fragments.offset(f), fragments.length(f), out);
            }
        }
        if (addEos) {
            if (vocab.eos < 0) throw new TokenizerException("the model asks for an EOS token but has none");
            out.add(vocab.eos);
        }
        return out.toArray();
    }

    @Override
    public String decode(int[] ids) {
        byte[] b = pieces.detokenize(ids);
        StringBuilder sb = new StringBuilder(b.length);
        Utf8.decode(b, 0, b.length, sb);
        return sb.toString();
    }

    @Override
    public String piece(int id) {
        byte[] b = pieces.special(id);
        StringBuilder sb = new StringBuilder(b.length);
        Utf8.decode(b, 0, b.length, sb);
        return sb.toString();
    }

    @Override
    public byte[] pieceBytes(int id) { return pieces.special(id).clone(); }

    @Override
    public int vocabSize() { return vocab.size(); }

    @Override
    public int bos() { return vocab.bos; }

    @Override
    public int eos() { return vocab.eos; }

    @Override
    public boolean isEndOfGeneration(int id) { return id >= 0 && id < vocab.size() && vocab.eog[id]; }

    @Override
    public StreamingDecoder streamingDecoder() { return new StreamingDecoder(pieces); }

    @Override
    public String toString() { return vocab.toString(); }
}
