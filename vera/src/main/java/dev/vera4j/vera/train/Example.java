package dev.vera4j.vera.train;

/**
 * One training sequence: {@code tokens.length − 1} positions whose inputs are {@code tokens[0..n)} and targets
 * {@code tokens[1..n]}; {@code mask[t]} says whether the prediction of {@code tokens[t+1]} is part of the loss.
 *
 * <pre>{@code
 * new Example(new int[] {1, 42, 43, 2}, new boolean[] {true, true, true})   // BOS, two tokens, EOS; loss on all
 * }</pre>
 */
public record Example(int[] tokens, boolean[] mask) {
    public Example {
        if (tokens.length < 2) throw new IllegalArgumentException("a training example needs at least 2 tokens, got " + tokens.length);
        if (mask.length != tokens.length - 1) throw new IllegalArgumentException("mask of " + mask.length + " for " + tokens.length + " tokens");
    }

    /** Positions (inputs) of the sequence. */
    public int length() { return mask.length; }

    /** Targets that count in the loss. */
    public int targets() {
        int c = 0;
        for (boolean m : mask) if (m) c++;
        return c;
    }
}
