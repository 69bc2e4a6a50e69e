package dev.vera4j.engine.api;

import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.template.ChatMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A multi-turn conversation with a model. Each {@link #send} renders the whole conversation with the chat template,
 * reuses the KV cache for the longest prefix of token ids it already holds and prefills only the rest, so a turn costs
 * its own tokens. When the conversation outgrows the context, the oldest turns after the system prompt are dropped
 * ({@link Reply#droppedMessages()} says how many). Models without a chat template continue plain text instead.
 *
 * <p>Thread-safety: a chat is for one thread at a time, except {@link #cancel()}, which any thread may call. Many chats
 * of one model may run on different threads; their forward passes take turns on the model's worker pool.
 *
 * <pre>{@code
 * try (Vera4j model = Vera4j.load(Path.of("model.gguf"))) {
 *     Chat chat = model.chat().system("You are terse.").temperature(0.7f).seed(1).build();
 *     chat.send("Hi!", System.out::print);
 *     chat.send("And again?", System.out::print);   // prefills only the new turn
 * }
 * }</pre>
 */
public final class Chat {
    private final Model model;
    private final Session session;
    private final ChatFormat format;
    private final List<ChatMessage> messages = new ArrayList<>();
    private final Cancellation cancellation = new Cancellation();
    private String system;
    private GenerateOptions options;
    private ModelAdapter adapter;
    private LinearHook hook;
    private int replies;
    private long promptTokens, promptNanos, generatedTokens, generationNanos;

    private Chat(Builder b) {
        this.model = b.model;
        this.format = ChatFormat.forModel(b.model, b.template);
        int ctx = b.contextLength > 0 ? b.contextLength : Math.min(4096, b.model.config().contextLength());
        this.session = b.model.newSession(ctx, b.kvType, b.batchSize);
        this.options = b.options != null ? b.options : b.sampling.build();
        this.system = b.system;
        if (b.adapter != null) adapter(b.adapter);
    }

    /** A builder for a chat with {@code model}. */
    public static Builder builder(Model model) { return new Builder(model); }

    /**
     * Adds {@code userMessage} to the conversation, generates the answer (passing text to {@code onText} as it comes)
     * and adds that too, also when it was cancelled part way.
     *
     * @throws EngineException if the message alone does not fit in the context
     */
    public Reply send(String userMessage, Consumer<String> onText) {
        cancellation.clear();
        int alone = encode(List.of(new ChatMessage("user", userMessage))).length;
        if (alone >= session.contextLength()) {
            // checked first so that a message that can never fit does not cost the conversation its history
            throw new EngineException("the message needs " + alone + " tokens but the context holds "
                    + session.contextLength() + "; shorten it or use a larger context");
        }
        ChatMessage user = new ChatMessage("user", userMessage);
        messages.add(user);
        try {
            return answer(onText);
        } catch (RuntimeException e) {
            // a failed turn (a template that rejects the conversation, say) leaves no unanswered message behind
            if (!messages.isEmpty() && messages.getLast() == user) messages.removeLast();
            throw e;
        }
    }

    private Reply answer(Consumer<String> onText) {
        int dropped = 0;
        int[] ids = encode();
        int reserve = Math.max(1, Math.min(options.maxTokens(), session.contextLength() / 4));
        while (ids.length + reserve > session.contextLength() && messages.size() > 1) {
            // drop the oldest exchange: a user message and the answers that follow it
            messages.removeFirst();
            dropped++;
            while (messages.size() > 1 && !messages.getFirst().role().equals("user")) { messages.removeFirst(); dropped++; }
            ids = encode();
        }
        int[] cached = session.tokens();
        int common = 0;
        while (common < cached.length && common < ids.length && cached[common] == ids[common]) common++;
        common = Math.min(common, ids.length - 1);   // at least one token must be fed to get logits
        session.rewind(common);
        int[] suffix = java.util.Arrays.copyOfRange(ids, common, ids.length);
        Reply r = Generations.run(session, suffix, options, onText, cancellation);
        messages.add(new ChatMessage("assistant", r.text()));
        replies++;
        promptTokens += r.timings().promptTokens();
        promptNanos += r.timings().promptNanos();
        generatedTokens += r.timings().generatedTokens();
        generationNanos += r.timings().generationNanos();
        return new Reply(r.text(), r.tokens(), r.timings(), r.timeToFirstTokenNanos(), r.stopReason(), r.cancelled(), dropped);
    }

    /** {@link #send(String, Consumer)} without streaming. */
    public Reply send(String userMessage) { return send(userMessage, text -> { }); }

    private int[] encode() { return encode(messages); }

    private int[] encode(List<ChatMessage> turns) {
        List<ChatMessage> all = new ArrayList<>(turns.size() + 1);
        if (system != null && !system.isEmpty()) all.add(new ChatMessage("system", system));
        all.addAll(turns);
        return format.encode(all, true);
    }

    /** Stops the answer being generated, before its next token; safe from any thread (a Ctrl-C handler). */
    public void cancel() { cancellation.cancel(); }

    /** Forgets the conversation (the system prompt stays). */
    public void reset() {
        messages.clear();
        session.reset();
    }

    /** Replaces the system prompt ({@code null} for none) and starts the conversation over. */
    public void system(String text) {
        system = text;
        reset();
    }

    public String system() { return system; }

    /** The conversation so far, system prompt first when there is one. */
    public List<ChatMessage> messages() {
        List<ChatMessage> all = new ArrayList<>();
        if (system != null && !system.isEmpty()) all.add(new ChatMessage("system", system));
        all.addAll(messages);
        return all;
    }

    /**
     * Replaces the conversation (e.g. one saved earlier); a leading {@code system} message becomes the system prompt.
     * The cache keeps whatever prefix still matches.
     */
    public void messages(List<ChatMessage> conversation) {
        messages.clear();
        system = null;
        for (ChatMessage m : conversation) {
            if (m.role().equals("system") && messages.isEmpty() && system == null) system = m.content();
            else messages.add(m);
        }
    }

    /**
     * Uses {@code newAdapter} from the next answer on ({@code null}: none). The cache was computed with the old weights,
     * so the next answer prefills the whole conversation again.
     */
    public void adapter(ModelAdapter newAdapter) {
        LinearHook next = newAdapter == null ? null : newAdapter.newHook(model.path(), session.batchSize());
        if (hook != null) session.removeHook(hook);
        hook = next;
        adapter = newAdapter;
        if (next != null) session.addHook(next);
        session.reset();
    }

    /** The adapter in use, or {@code null}. */
    public ModelAdapter adapter() { return adapter; }

    public GenerateOptions options() { return options; }

    /** Generation options from the next answer on. */
    public void options(GenerateOptions newOptions) {
        if (newOptions == null) throw new IllegalArgumentException("options are null");
        options = newOptions;
    }

    /** {@code plain} when the model has no chat template (text continues), {@code model} for its own, or a built-in name. */
    public String templateName() { return format.name(); }

    public ChatStats stats() {
        return new ChatStats(replies, promptTokens, promptNanos, generatedTokens, generationNanos, session.position(), session.contextLength());
    }

    /** Configures a {@link Chat}; defaults: the model's template, a context of up to 4096, llama.cpp's sampling. */
    public static final class Builder {
        private final Model model;
        private final GenerateOptions.Builder sampling = GenerateOptions.builder().maxTokens(256);
        private GenerateOptions options;
        private String system, template;
        private ModelAdapter adapter;
        private int contextLength, batchSize = 128;
        private KvType kvType = KvType.F16;

        private Builder(Model model) { this.model = model; }

        public Builder system(String text) { system = text; return this; }
        /** A built-in template name or a Jinja file instead of the model's own, or {@code plain} for text continuation. */
        public Builder template(String name) { template = name; return this; }
        public Builder adapter(ModelAdapter a) { adapter = a; return this; }
        /** Positions of the KV cache (default: the model's, at most 4096). */
        public Builder contextLength(int n) { contextLength = n; return this; }
        public Builder batchSize(int n) { batchSize = n; return this; }
        public Builder kvType(KvType t) { kvType = t; return this; }
        /** 0 is greedy. */
        public Builder temperature(float t) { sampling.temperature(t); return this; }
        public Builder topK(int k) { sampling.topK(k); return this; }
        public Builder topP(float p) { sampling.topP(p); return this; }
        public Builder minP(float p) { sampling.minP(p); return this; }
        public Builder repeatPenalty(float p) { sampling.repeatPenalty(p); return this; }
        public Builder seed(long s) { sampling.seed(s); return this; }
        /** Most tokens per answer (default 256). */
        public Builder maxTokens(int n) { sampling.maxTokens(n); return this; }
        /** All generation options at once; overrides the sampling setters. */
        public Builder options(GenerateOptions o) { options = o; return this; }

        /**
         * @throws IllegalArgumentException for an unknown template name or a bad setting
         * @throws RuntimeException from the adapter when it does not fit the model
         */
        public Chat build() { return new Chat(this); }
    }

    /**
     * The token ids of a one-turn conversation ({@code system} may be null) ending with the assistant's turn header,
     * as {@link #send} would feed them: for one-shot generation with a chat model.
     *
     * @param template {@code null} for the model's own template, else a built-in name, {@code plain} or a Jinja file
     */
    public static int[] promptIds(Model model, String template, String system, String user) {
        List<ChatMessage> all = new ArrayList<>();
        if (system != null && !system.isEmpty()) all.add(new ChatMessage("system", system));
        all.add(new ChatMessage("user", user));
        return ChatFormat.forModel(model, template).encode(all, true);
    }
}
