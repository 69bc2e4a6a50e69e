package dev.vera4j.engine.batch;

/**
 * A token and its log-probability under the model's distribution at that position (softmax of the raw logits, before
 * temperature and penalties), as OpenAI's {@code logprobs} report it.
 *
 * <pre>{@code
 * TokenLogprob t = event.logprob();
 * System.out.println(t.token() + " " + Math.exp(t.logprob()));
 * }</pre>
 *
 * @param token the token's text (its piece; bytes of a partial UTF-8 character appear as U+FFFD)
 * @param bytes the piece's UTF-8 bytes
 */
public record TokenLogprob(int id, String token, byte[] bytes, double logprob) {
    public TokenLogprob {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() { return bytes.clone(); }
}
