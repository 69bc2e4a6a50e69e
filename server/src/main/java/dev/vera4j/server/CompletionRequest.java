package dev.vera4j.server;

import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.ModelAdapter;

/**
 * A parsed {@code /v1/chat/completions} or {@code /v1/completions} request, ready for the scheduler.
 *
 * <pre>{@code
 * CompletionRequest r = parser.parse(Endpoint.CHAT, body);
 * scheduler.submit(BatchRequest.of(r.prompt(), r.options()).withAdapter(r.adapter()).withLogprobs(r.logprobs()), listener);
 * }</pre>
 *
 * @param model        the model id asked for
 * @param adapter      the adapter behind it, or {@code null} for the base model
 * @param logprobs     -1: none; otherwise alternatives per token to report
 * @param echo         the prompt text to put before the answer ({@code echo} of completions), or {@code null}
 * @param includeUsage {@code stream_options.include_usage}
 */
record CompletionRequest(Endpoint endpoint, String model, ModelAdapter adapter, int[] prompt, GenerateOptions options,
                         boolean stream, boolean includeUsage, int logprobs, String echo) {
}
