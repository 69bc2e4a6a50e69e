package dev.vera4j.engine.tokenizer;

/** The regex {@code \s+$}: whitespace that runs to the end of the piece becomes a piece of its own. */
final class TrailingWhitespaceSplit implements SplitStage {
    @Override
    public void split(int[] cps, int start, int end, IntList out) {
        int ws = end;
        while (ws > start && (CodepointFlags.of(cps[ws - 1]) & CodepointFlags.WHITESPACE) != 0) ws--;
        if (ws > start) out.add(ws - start);
        if (end > ws) out.add(end - ws);
    }
}
