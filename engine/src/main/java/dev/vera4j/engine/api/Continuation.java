package dev.vera4j.engine.api;

import dev.vera4j.engine.sample.Sampler;
import dev.vera4j.engine.sample.StopStrings;
import dev.vera4j.engine.tokenizer.StreamingDecoder;

import java.util.Arrays;

/**
 * The sampling side of one generation: picks each next token from the logits, turns it into printable text and decides
 * when generation ends (end of generation, a stop token or string, the token budget, a full context). The forward
 * passes are the caller's: {@link Session#generate} runs one sequence with it, the batch scheduler many at once.
 * Not thread-safe.
 *
 * <pre>{@code
 * Continuation c = new Continuation(model, options, promptIds, promptIds.length);
 * float[] logits = session.ingest(promptIds);
 * while (!c.done()) {
 *     int id = c.next(logits, 0, session.position() < session.contextLength());
 *     System.out.print(c.piece());
 *     if (!c.done()) logits = session.ingest(new int[] {id});
 * }
 * System.out.print(c.flush());
 * }</pre>
 */
public final class Continuation {
    private final Model model;
    private final GenerateOptions options;
    private final Sampler sampler;
    private final StreamingDecoder decoder;
    private final StopStrings stops;
    private final StringBuilder text = new StringBuilder();
    private int[] tokens;
    private int count;
    private StopReason reason;
    private String piece = "";

    /**
     * @param context the ids the model has seen so far; the last {@code penaltyLastN} of {@code context[0, length)}
     *                start the penalty window
     */
    public Continuation(Model model, GenerateOptions options, int[] context, int length) {
        this.model = model;
        this.options = options;
        this.sampler = new Sampler(options.sampler(), model.config().vocabSize());
        int window = Math.min(options.sampler().penaltyLastN(), length);
        for (int i = length - window; i < length; i++) sampler.accept(context[i]);
        this.decoder = model.continuationDecoder();
        this.stops = new StopStrings(options.stopStrings());
        this.tokens = new int[Math.min(options.maxTokens(), 256)];
        if (options.maxTokens() == 0) reason = StopReason.MAX_TOKENS;
    }

    /**
     * Samples the next token from {@code logits[off, off + vocab)} (left unchanged) and returns it; {@link #piece()}
     * is then its printable text and {@link #done()} tells whether it ended the generation.
     *
     * @param roomForMore whether the context can take the token (when not, generation ends with it)
     * @throws IllegalStateException when the generation has already ended
     */
    public int next(float[] logits, int off, boolean roomForMore) {
        if (reason != null) throw new IllegalStateException("the generation has ended (" + reason + ")");
        int id = sampler.sample(logits, off);
        sampler.accept(id);
        if (count == tokens.length) tokens = Arrays.copyOf(tokens, Math.min(options.maxTokens(), 2 * tokens.length));
        tokens[count++] = id;
        piece = "";
        if (options.stopAtEndOfGeneration() && model.isEndOfGeneration(id)) reason = StopReason.END_OF_GENERATION;
        else if (options.isStopToken(id)) reason = StopReason.STOP_TOKEN;
        else {
            piece = stops.accept(decoder.accept(id));
            text.append(piece);
            if (stops.stopped()) reason = StopReason.STOP_STRING;
            else if (count == options.maxTokens()) reason = StopReason.MAX_TOKENS;
            else if (!roomForMore) reason = StopReason.CONTEXT_FULL;
        }
        return id;
    }

    /** The text that the last token made printable (often empty: held back, or a control token). */
    public String piece() { return piece; }

    /** Whether the generation has ended; no more tokens may be sampled. */
    public boolean done() { return reason != null; }

    /** Why it ended, or {@code null} while it goes on. */
    public StopReason stopReason() { return reason; }

    /**
     * Ends the text: returns what the decoder and the stop-string look-ahead still held back (appended to
     * {@link #text()}); empty when a stop string ended it. Call once, at the end.
     */
    public String flush() {
        if (stops.stopped()) return "";
        String rest = stops.accept(decoder.flush()) + stops.flush();
        text.append(rest);
        return rest;
    }

    /** The text so far, without a stop string that ended it. */
    public String text() { return text.toString(); }

    /** The sampled ids, including an end-of-generation or stop token that ended it. */
    public int[] tokens() { return Arrays.copyOf(tokens, count); }

    /** How many tokens were sampled. */
    public int count() { return count; }

    /** The stop string that ended it, or {@code null}. */
    public String stopString() { return stops.matched(); }
}
