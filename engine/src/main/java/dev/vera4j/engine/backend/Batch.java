package dev.vera4j.engine.backend;

/**
 * The tokens of one step, from one or several {@link Sequence}s (as llama.cpp's {@code llama_batch} with sequence
 * ids): each entry is a run of consecutive tokens of one sequence, placed at the positions that follow what its cache
 * holds. Entries may mix prefill (many tokens) and decode (one token), and sit at different positions. The step reads
 * every weight matrix once for all the batch's tokens; attention, hooks and recorders see each sequence's own rows.
 *
 * <p>Rows are the entries' tokens laid end to end in the order they were added: entry {@code i} owns rows
 * {@code first(i) .. first(i) + count(i)}. Logits come out in the same order, one row per entry (its last token) or,
 * for entries added with {@code allLogits}, one per token: entry {@code i}'s start at row {@link #logitsRow(i)} of
 * the step's logits.
 *
 * <p>Reusable: {@link #clear()} and refill it for each step, which allocates nothing.
 *
 * <pre>{@code
 * Batch batch = new Batch(512);
 * batch.clear()
 *      .add(alice, promptIds, 0, promptIds.length, false)   // prefill: logits of the last prompt token
 *      .add(bob, new int[] {nextOfBob}, 0, 1, false);        // decode one token
 * backend.step(activations, batch, logits);                   // alice's logits at row 0, bob's at row 1
 * }</pre>
 */
public final class Batch {
    private final int[] tokens;
    private final Sequence[] sequences;
    private final int[] first;
    private final int[] count;
    private final boolean[] allLogits;
    private final int[] logitsRow;
    private int size;
    private int tokenCount;
    private int logitsRows;

    /** A batch of up to {@code maxTokens} tokens (so at most that many entries). */
    public Batch(int maxTokens) {
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be positive, got " + maxTokens);
        tokens = new int[maxTokens];
        sequences = new Sequence[maxTokens];
        first = new int[maxTokens];
        count = new int[maxTokens];
        allLogits = new boolean[maxTokens];
        logitsRow = new int[maxTokens];
    }

    /** A batch of {@code tokens[off .. off+n)} of one sequence. */
    public static Batch of(Sequence sequence, int[] tokens, int off, int n, boolean allLogits) {
        return new Batch(Math.max(1, n)).add(sequence, tokens, off, n, allLogits);
    }

    /** Empties the batch; returns it. */
    public Batch clear() {
        for (int i = 0; i < size; i++) sequences[i] = null;
        size = 0;
        tokenCount = 0;
        logitsRows = 0;
        return this;
    }

    /**
     * Appends {@code tokens[off .. off+n)} of {@code sequence}, to run at the positions after those its cache holds.
     *
     * @param allLogits logits of every one of these tokens (training, scoring) rather than of the last only
     * @return this batch
     * @throws IllegalArgumentException if {@code n < 1}, the tokens do not fit in the batch, or the sequence is in it
     *                                  already (its positions would collide)
     */
    public Batch add(Sequence sequence, int[] tokens, int off, int n, boolean allLogits) {
        if (sequence == null) throw new IllegalArgumentException("sequence is null");
        if (n < 1 || off < 0 || off + n > tokens.length) throw new IllegalArgumentException("bad token range " + off + "+" + n + " of " + tokens.length);
        if (n > this.tokens.length - tokenCount) {
            throw new IllegalArgumentException(n + " more tokens do not fit in a batch of " + this.tokens.length + " holding " + tokenCount);
        }
        for (int i = 0; i < size; i++) {
            if (sequences[i] == sequence) throw new IllegalArgumentException("the sequence is in this batch already; add its tokens as one run");
        }
        System.arraycopy(tokens, off, this.tokens, tokenCount, n);
        sequences[size] = sequence;
        first[size] = tokenCount;
        count[size] = n;
        this.allLogits[size] = allLogits;
        logitsRow[size] = logitsRows;
        logitsRows += allLogits ? n : 1;
        tokenCount += n;
        size++;
        return this;
    }

    /** Entries (sequences) in the batch. */
    public int size() { return size; }

    /** Tokens in the batch, over all entries. */
    public int tokenCount() { return tokenCount; }

    /** The most tokens it can take. */
    public int maxTokens() { return tokens.length; }

    /** Rows of logits a step of this batch writes. */
    public int logitsRows() { return logitsRows; }

    /** The token of row {@code row}. */
    public int token(int row) { return tokens[row]; }

    public Sequence sequence(int entry) { return sequences[entry]; }

    /** The first row of entry {@code entry}. */
    public int first(int entry) { return first[entry]; }

    /** Tokens of entry {@code entry}. */
    public int count(int entry) { return count[entry]; }

    /** Whether entry {@code entry} wants logits of every token (else of its last only). */
    public boolean allLogits(int entry) { return allLogits[entry]; }

    /** Rows of logits of entry {@code entry}: {@code count(entry)} or 1. */
    public int logitsCount(int entry) { return allLogits[entry] ? count[entry] : 1; }

    /** The first row of entry {@code entry}'s logits in the step's output. */
    public int logitsRow(int entry) { return logitsRow[entry]; }
}
