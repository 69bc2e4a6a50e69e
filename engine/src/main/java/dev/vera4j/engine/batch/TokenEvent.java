package dev.vera4j.engine.batch;

import java.util.List;

/**
 * One generated token as the {@link BatchListener} sees it, or ({@code id == -1}) the text held back until the end.
 *
 * <pre>{@code
 * BatchListener l = event -> System.out.print(event.text());
 * }</pre>
 *
 * @param id      the sampled token, or -1 for text released at the end
 * @param text    newly printable text (often empty: held back, or a control token)
 * @param logprob the token's log-probability, or {@code null} when not requested (and for {@code id == -1})
 * @param top     the most likely tokens at this position, most likely first (empty when not requested)
 */
public record TokenEvent(int id, String text, TokenLogprob logprob, List<TokenLogprob> top) {
    public TokenEvent {
        top = List.copyOf(top);
    }
}
