package dev.vera4j.engine.batch;

import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.Generation;
import dev.vera4j.engine.api.GenerationListener;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.ModelAdapter;
import dev.vera4j.engine.api.Session;
import dev.vera4j.engine.api.StopReason;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.ReferenceData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Continuous batching on stories260K: results independent of the batch, cancellation, queue limits, chunked prefill. */
class BatchSchedulerTest {
    private static final String[] PROMPTS = {"Once upon a time", "Lily and Tom went to the park. They saw a big", "The cat",
            "One day, a little girl named Sue found a shiny red ball in the garden. She wanted to show it to her mom, so she", "Bob"};
    private static Model model;

    @BeforeAll
    static void load() { model = Model.load(ReferenceData.stories(), 2); }

    @AfterAll
    static void close() { model.close(); }

    private static int[] ids(String text) { return model.tokenizer().encode(text, true, true); }

    private static BatchConfig config(int parallel, int chunk) {
        return BatchConfig.defaults(1024).withParallel(parallel).withPrefillChunk(chunk).withKvType(KvType.F32);
    }

    /** A hook that changes the model's output noticeably, standing in for an adapter. */
    private static ModelAdapter scaleV(float factor) {
        return new ModelAdapter() {
            @Override public String name() { return "scale-v-" + factor; }

            @Override
            public LinearHook newHook(Path modelPath, int maxTokens) {
                return (site, x, xOff, y, yOff, n, in, out) -> {
                    if (site.kind() != LinearSite.Kind.V) return;
                    for (int i = 0; i < n * out; i++) y[yOff + i] *= factor;
                };
            }
        };
    }

    /** Slows every forward pass down by a millisecond, so that "endless" requests outlast the test's timing. */
    private static final ModelAdapter SLOW = new ModelAdapter() {
        @Override public String name() { return "slow"; }

        @Override
        public LinearHook newHook(Path modelPath, int maxTokens) {
            return (site, x, xOff, y, yOff, n, in, out) -> {
                if (site.kind() != LinearSite.Kind.OUTPUT) return;
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
        }
    };

    private static Generation sequential(String prompt, GenerateOptions o, ModelAdapter adapter, int chunk) {
        Session s = model.newSession(256, KvType.F32, chunk);
        if (adapter != null) s.addHook(adapter.newHook(model.path(), s.batchSize()));
        return s.generate(ids(prompt), o, GenerationListener.NONE);
    }

    /**
     * Requests with and without an adapter, three at a time, prompts read in chunks beside running decodes: each gives
     * the tokens of a session of its own wherever the logit margins allow. The tolerance on logits is the backend's
     * for F32 weights and an F32 cache (2e-4; the products of a batch sum in another order than one sequence's alone).
     */
    @Test
    void greedyResultsDoNotDependOnTheBatch() {
        int chunk = 8;   // prompts longer than a chunk are read over several steps, beside running decodes
        float tolerance = 2e-4f;
        GenerateOptions o = GenerateOptions.builder().maxTokens(40).temperature(0).build();
        try (BatchScheduler scheduler = new BatchScheduler(model, config(3, chunk))) {
            List<BatchHandle> handles = new ArrayList<>();
            List<List<TokenEvent>> events = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length * 2; i++) {
                ModelAdapter a = i % 2 == 0 ? null : scaleV(1.5f);
                List<TokenEvent> mine = new CopyOnWriteArrayList<>();
                events.add(mine);
                handles.add(scheduler.submit(BatchRequest.of(ids(PROMPTS[i % PROMPTS.length]), o).withAdapter(a).withLogprobs(2),
                        new BatchListener() {
                            @Override public void onToken(TokenEvent e) { mine.add(e); }
                        }));
            }
            int compared = 0;
            for (int i = 0; i < handles.size(); i++) {
                BatchResult r = handles.get(i).result().join();
                assertEquals(BatchResult.Outcome.COMPLETED, r.outcome());
                GreedyReference ref = GreedyReference.of(model, ids(PROMPTS[i % PROMPTS.length]), o, i % 2 == 0 ? null : scaleV(1.5f), KvType.F32, chunk);
                compared += ref.assertAgrees(events.get(i), tolerance, "request " + i);
            }
            assertTrue(compared >= handles.size() * 30, "tokens compared before any near tie: " + compared);
            assertNotEquals(handles.get(0).result().join().text(), handles.get(1).result().join().text(), "the hook must matter");
            // the comparison can fail: another adapter's reference, or none, does not agree
            GreedyReference other = GreedyReference.of(model, ids(PROMPTS[1]), o, scaleV(1.6f), KvType.F32, chunk);
            assertThrows(AssertionFailedError.class, () -> other.assertAgrees(events.get(1), tolerance, "request 1 against scale 1.6"));
            GreedyReference none = GreedyReference.of(model, ids(PROMPTS[1]), o, null, KvType.F32, chunk);
            assertThrows(AssertionFailedError.class, () -> none.assertAgrees(events.get(1), tolerance, "request 1 against no adapter"));
        }
    }

    /**
     * Seeded sampling gives a session's text: the logits differ from the session's by the products' rounding (under
     * 1e-5 here), which changes a sampled token only if a draw falls that close to a boundary of the distribution.
     */
    @Test
    void sampledResultsFollowTheSeedAndStopStrings() {
        GenerateOptions o = GenerateOptions.builder().maxTokens(30).temperature(0.9f).seed(7).stopStrings(".").build();
        try (BatchScheduler scheduler = new BatchScheduler(model, config(2, 128))) {
            BatchHandle a = scheduler.submit(BatchRequest.of(ids(PROMPTS[0]), o), BatchListener.NONE);
            BatchHandle b = scheduler.submit(BatchRequest.of(ids(PROMPTS[2]), o), BatchListener.NONE);
            Generation ga = sequential(PROMPTS[0], o, null, 128), gb = sequential(PROMPTS[2], o, null, 128);
            assertEquals(ga.text(), a.result().join().text());
            assertEquals(gb.text(), b.result().join().text());
            assertEquals(gb.stopReason(), b.result().join().stopReason());
        }
    }

    @Test
    void streamedTextAddsUpToTheResultAndLogprobsAreConsistent() {
        List<TokenEvent> events = new CopyOnWriteArrayList<>();
        GenerateOptions o = GenerateOptions.builder().maxTokens(20).temperature(0).build();
        try (BatchScheduler scheduler = new BatchScheduler(model, config(2, 128))) {
            BatchHandle h = scheduler.submit(BatchRequest.of(ids(PROMPTS[1]), o).withLogprobs(3), new BatchListener() {
                @Override public void onToken(TokenEvent e) { events.add(e); }
            });
            BatchResult r = h.result().join();
            StringBuilder text = new StringBuilder();
            int sampled = 0;
            for (TokenEvent e : events) {
                text.append(e.text());
                if (e.id() < 0) continue;
                sampled++;
                assertEquals(3, e.top().size());
                assertEquals(e.id(), e.top().getFirst().id(), "greedy picks the most likely token");
                assertEquals(e.top().getFirst().logprob(), e.logprob().logprob(), 0);
                assertTrue(e.top().get(0).logprob() >= e.top().get(1).logprob() && e.top().get(1).logprob() >= e.top().get(2).logprob());
                double mass = 0;
                for (TokenLogprob t : e.top()) mass += Math.exp(t.logprob());
                assertTrue(mass <= 1 + 1e-6 && e.logprob().logprob() <= 0);
            }
            assertEquals(r.text(), text.toString());
            assertEquals(r.generatedTokens(), sampled);
            assertTrue(r.timeToFirstTokenNanos() > 0 && r.totalNanos() >= r.timeToFirstTokenNanos());
        }
    }

    @Test
    void cancellingFreesTheSlotForTheNextRequest() throws Exception {
        GenerateOptions endless = GenerateOptions.builder().maxTokens(100_000).temperature(0).ignoreEndOfGeneration().build();
        CountDownLatch started = new CountDownLatch(1);
        try (BatchScheduler scheduler = new BatchScheduler(model, config(1, 128))) {
            BatchHandle first = scheduler.submit(BatchRequest.of(ids(PROMPTS[0]), endless).withAdapter(SLOW), new BatchListener() {
                @Override public void onToken(TokenEvent e) { started.countDown(); }
            });
            BatchHandle second = scheduler.submit(BatchRequest.of(ids(PROMPTS[2]), GenerateOptions.greedy(5)), BatchListener.NONE);
            assertTrue(started.await(30, TimeUnit.SECONDS));
            first.cancel();
            BatchResult r = first.result().get(30, TimeUnit.SECONDS);
            assertEquals(BatchResult.Outcome.CANCELLED, r.outcome());
            assertNull(r.stopReason());
            assertEquals(BatchResult.Outcome.COMPLETED, second.result().get(30, TimeUnit.SECONDS).outcome());
            assertEquals(0, scheduler.stats().active());
            assertEquals(1, scheduler.stats().cancelled());
        }
    }

    @Test
    void aFullQueueRefusesWithRetryAfter() throws Exception {
        GenerateOptions endless = GenerateOptions.builder().maxTokens(100_000).temperature(0).ignoreEndOfGeneration().build();
        try (BatchScheduler scheduler = new BatchScheduler(model, config(1, 128).withQueue(1))) {
            BatchHandle running = scheduler.submit(BatchRequest.of(ids(PROMPTS[0]), endless).withAdapter(SLOW), BatchListener.NONE);
            while (scheduler.stats().active() == 0) Thread.sleep(1);
            BatchHandle waiting = scheduler.submit(BatchRequest.of(ids(PROMPTS[0]), endless).withAdapter(SLOW), BatchListener.NONE);
            BatchRejectedException e = assertThrows(BatchRejectedException.class,
                    () -> scheduler.submit(BatchRequest.of(ids(PROMPTS[0]), endless).withAdapter(SLOW), BatchListener.NONE));
            assertEquals(BatchRejectedException.Reason.QUEUE_FULL, e.reason());
            assertTrue(e.retryAfterSeconds() >= 1);
            assertEquals(1, scheduler.stats().queued());
            waiting.cancel();
            assertEquals(BatchResult.Outcome.CANCELLED, waiting.result().get(30, TimeUnit.SECONDS).outcome());
            running.cancel();
            running.result().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void requestsTimeOutRunningOrQueued() throws Exception {
        GenerateOptions endless = GenerateOptions.builder().maxTokens(100_000).temperature(0).ignoreEndOfGeneration().build();
        try (BatchScheduler scheduler = new BatchScheduler(model, config(1, 128))) {
            BatchHandle running = scheduler.submit(BatchRequest.of(ids(PROMPTS[0]), endless).withAdapter(SLOW).withTimeout(Duration.ofMillis(300)), BatchListener.NONE);
            BatchHandle queued = scheduler.submit(BatchRequest.of(ids(PROMPTS[0]), endless).withAdapter(SLOW).withTimeout(Duration.ofMillis(100)), BatchListener.NONE);
            BatchResult q = queued.result().get(30, TimeUnit.SECONDS);
            assertEquals(BatchResult.Outcome.TIMED_OUT, q.outcome());
            assertEquals(0, q.generatedTokens());
            BatchResult r = running.result().get(30, TimeUnit.SECONDS);
            assertEquals(BatchResult.Outcome.TIMED_OUT, r.outcome());
            assertTrue(r.generatedTokens() > 0);
        }
    }

    /**
     * A request whose prompt starts as an earlier one's did, with the same adapter, keeps the positions its slot's
     * cache holds and reads only the rest (at least its last token); another adapter reads everything. Each answer
     * agrees with a session of its own.
     */
    @Test
    void aSharedPromptPrefixIsReadOnce() {
        int chunk = 4;
        List<Integer> firstChunks = new CopyOnWriteArrayList<>();   // per step: tokens of the first work item
        StepRunner inner = StepRunner.batched(model, config(1, chunk));
        StepRunner recording = new StepRunner() {
            @Override public Sequence newSequence(int contextLength) { return inner.newSequence(contextLength); }
            @Override public int maxTokensPerSequence() { return inner.maxTokensPerSequence(); }
            @Override public void step(List<SequenceWork> work) {
                firstChunks.add(work.getFirst().count());
                inner.step(work);
            }
        };
        GenerateOptions o = GenerateOptions.builder().maxTokens(12).temperature(0).build();
        int[] base = ids(PROMPTS[3]);
        int[] longer = java.util.Arrays.copyOf(base, base.length + 3);
        int[] tail = model.tokenizer().encode(" her dad", false, false);
        System.arraycopy(tail, 0, longer, base.length, 3);
        try (BatchScheduler scheduler = new BatchScheduler(model, recording, config(1, chunk))) {
            // the same prompt again: all but its last token are in the cache
            run(scheduler, base, o, null, chunk, "first");
            long reused = scheduler.stats().promptTokensReused(), steps = firstChunks.size();
            assertEquals(0, reused, "nothing to reuse at first");
            run(scheduler, base, o, null, chunk, "same prompt");
            assertEquals(base.length - 1, scheduler.stats().promptTokensReused());
            assertEquals(1, firstChunks.get((int) steps), "the repeated prompt is read from its last token");
            // a longer prompt that starts with it: at least that prompt is in the cache (and the tokens generated
            // after it, as far as they match)
            run(scheduler, longer, o, null, chunk, "longer prompt");
            long more = scheduler.stats().promptTokensReused() - (base.length - 1);
            assertTrue(more >= base.length && more < longer.length, "reused " + more + " of " + longer.length);
            // another adapter: its keys and values differ, so nothing is reused
            long before = scheduler.stats().promptTokensReused();
            run(scheduler, longer, o, scaleV(1.5f), chunk, "another adapter");
            assertEquals(before, scheduler.stats().promptTokensReused());
        }
    }

    /** Runs one request to its end and checks its tokens against a session's. */
    private static void run(BatchScheduler scheduler, int[] prompt, GenerateOptions o, ModelAdapter adapter, int chunk, String what) {
        List<TokenEvent> events = new CopyOnWriteArrayList<>();
        BatchHandle h = scheduler.submit(BatchRequest.of(prompt, o).withAdapter(adapter).withLogprobs(2), new BatchListener() {
            @Override public void onToken(TokenEvent e) { events.add(e); }
        });
        assertEquals(BatchResult.Outcome.COMPLETED, h.result().join().outcome(), what);
        int compared = GreedyReference.of(model, prompt, o, adapter, KvType.F32, chunk).assertAgrees(events, 2e-4f, what);
        assertTrue(compared >= 6, what + ": tokens compared before any near tie: " + compared);
    }

    @Test
    void longPromptsAreReadInChunksBesideRunningDecodes() throws Exception {
        List<int[]> steps = new CopyOnWriteArrayList<>();   // per step: tokens of each work item
        StepRunner inner = StepRunner.batched(model, config(2, 4));
        StepRunner recording = new StepRunner() {
            @Override public Sequence newSequence(int contextLength) { return inner.newSequence(contextLength); }
            @Override public int maxTokensPerSequence() { return inner.maxTokensPerSequence(); }
            @Override public void step(List<SequenceWork> work) {
                steps.add(work.stream().mapToInt(SequenceWork::count).toArray());
                inner.step(work);
            }
        };
        CountDownLatch decoding = new CountDownLatch(1);
        try (BatchScheduler scheduler = new BatchScheduler(model, recording, config(2, 4))) {
            BatchHandle stream = scheduler.submit(BatchRequest.of(ids("Bob"), GenerateOptions.builder().maxTokens(900).temperature(0)
                    .ignoreEndOfGeneration().build()).withAdapter(SLOW), new BatchListener() {
                @Override public void onToken(TokenEvent e) { decoding.countDown(); }
            });
            assertTrue(decoding.await(30, TimeUnit.SECONDS));
            int[] longPrompt = ids(PROMPTS[3]);
            int before = steps.size();
            BatchHandle reader = scheduler.submit(BatchRequest.of(longPrompt, GenerateOptions.greedy(1)), BatchListener.NONE);
            reader.result().get(30, TimeUnit.SECONDS);
            int chunks = 0;
            List<int[]> seen = List.copyOf(steps);
            for (int[] step : seen.subList(before, seen.size())) {
                if (step.length == 2) {
                    assertEquals(1, step[0], "the running stream decodes one token in every step");
                    assertTrue(step[1] <= 4, "a prompt chunk is at most --prefill-chunk tokens");
                    chunks++;
                }
            }
            assertTrue(chunks >= (longPrompt.length - 1) / 4, "the prompt was read over " + chunks + " steps");
            stream.cancel();
            stream.result().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void drainFinishesRunningRequestsThenRefuses() throws Exception {
        try (BatchScheduler scheduler = new BatchScheduler(model, config(2, 128))) {
            BatchHandle h = scheduler.submit(BatchRequest.of(ids(PROMPTS[0]), GenerateOptions.greedy(30)), BatchListener.NONE);
            assertTrue(scheduler.drain(Duration.ofSeconds(30)));
            assertEquals(BatchResult.Outcome.COMPLETED, h.result().getNow(null).outcome());
            BatchRejectedException e = assertThrows(BatchRejectedException.class,
                    () -> scheduler.submit(BatchRequest.of(ids(PROMPTS[0]), GenerateOptions.greedy(3)), BatchListener.NONE));
            assertEquals(BatchRejectedException.Reason.SHUTTING_DOWN, e.reason());
        }
    }

    @Test
    void aFailingAdapterFailsOnlyItsRequest() throws Exception {
        ModelAdapter broken = new ModelAdapter() {
            @Override public String name() { return "broken"; }
            @Override public LinearHook newHook(Path modelPath, int maxTokens) { throw new IllegalArgumentException("adapter made for another base"); }
        };
        try (BatchScheduler scheduler = new BatchScheduler(model, config(2, 128))) {
            BatchHandle bad = scheduler.submit(BatchRequest.of(ids(PROMPTS[0]), GenerateOptions.greedy(5)).withAdapter(broken), BatchListener.NONE);
            BatchHandle good = scheduler.submit(BatchRequest.of(ids(PROMPTS[0]), GenerateOptions.greedy(5)), BatchListener.NONE);
            BatchResult r = bad.result().get(30, TimeUnit.SECONDS);
            assertEquals(BatchResult.Outcome.FAILED, r.outcome());
            assertEquals("adapter made for another base", r.error());
            assertEquals(StopReason.MAX_TOKENS, good.result().get(30, TimeUnit.SECONDS).stopReason());
            assertEquals(0, scheduler.stats().active());
            assertEquals(1, scheduler.stats().failed());
        }
    }
}
