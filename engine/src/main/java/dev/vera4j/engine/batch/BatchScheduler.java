package dev.vera4j.engine.batch;

import dev.vera4j.engine.api.Model;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching over one {@link Model}: up to {@code parallel} sequences generate at once, each with its own KV
 * cache, sampler, stop conditions and adapter; requests join and leave the running batch between steps, and the rest
 * wait in a bounded queue. Each step brings one token of every generating sequence and a chunk of at most
 * {@code prefillChunk} prompt tokens of sequences still reading their prompt, so a long prompt is interleaved with
 * running streams instead of stalling them. One thread runs the steps; {@link #submit} and {@link BatchHandle#cancel}
 * may be called from any thread.
 *
 * <p>A step runs on a {@link StepRunner}, by default {@link StepRunner#batched}: one pass of the model's backend over
 * every sequence's tokens. A sequence's tokens are fed in the same chunks whatever else runs (prompts are cut at
 * multiples of the chunk from position 0); its logits then depend on the rest of the batch only through the products'
 * rounding (a one-token product quantizes its input to int8 where a product of several tokens may read floats), so
 * greedy results are those of {@link dev.vera4j.engine.api.Session#generate} wherever the top two logits are not within
 * that rounding of each other.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("stories260K.gguf"), 2);
 *      BatchScheduler scheduler = new BatchScheduler(model, BatchConfig.defaults(512).withParallel(4))) {
 *     int[] prompt = model.tokenizer().encode("Once upon a time", true, true);
 *     BatchHandle h = scheduler.submit(BatchRequest.of(prompt, GenerateOptions.greedy(32)),
 *             new BatchListener() { public void onToken(TokenEvent e) { System.out.print(e.text()); } });
 *     System.out.println(h.result().join().stopReason());
 * }
 * }</pre>
 */
public final class BatchScheduler implements AutoCloseable {
    private enum State { RUNNING, DRAINING, CLOSED }

    private final BatchConfig config;
    private final StepRunner runner;
    private final Slot[] slots;
    private final ArrayDeque<BatchHandle> queue = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Condition idle = lock.newCondition();
    private final AtomicLong ids = new AtomicLong();
    private final SchedulerCounters counters = new SchedulerCounters();
    private final Thread thread;
    private volatile State state = State.RUNNING;
    private volatile int active;

    /** A scheduler whose steps run as one backend step each ({@link StepRunner#batched}). */
    public BatchScheduler(Model model, BatchConfig config) {
        this(model, StepRunner.batched(model, config), config);
    }

    /**
     * A scheduler whose steps run on {@code runner}; allocates {@code config.parallel()} sequences of
     * {@code config.contextLength()} positions and starts its thread.
     */
    public BatchScheduler(Model model, StepRunner runner, BatchConfig config) {
        this.config = config;
        this.runner = runner;
        Logprobs logprobs = new Logprobs(model.tokenizer());
        this.slots = new Slot[config.parallel()];
        for (int i = 0; i < slots.length; i++) slots[i] = new Slot(model, runner.newSequence(config.contextLength()), logprobs);
        this.thread = Thread.ofPlatform().name("vera4j-batch").daemon(true).start(this::loop);
    }

    public BatchConfig config() { return config; }

    /** Positions of each sequence: a request's prompt plus its generated tokens must fit. */
    public int contextLength() { return config.contextLength(); }

    /**
     * Queues {@code request}; {@code listener} hears about its tokens and its end on the scheduler's thread.
     *
     * @throws BatchRejectedException when the queue is full or the scheduler is draining or closed
     * @throws IllegalArgumentException when the prompt alone does not fit in a sequence's context
     */
    public BatchHandle submit(BatchRequest request, BatchListener listener) {
        int n = request.promptIds().length;
        if (n >= config.contextLength()) {
            throw new IllegalArgumentException("the prompt has " + n + " tokens but a sequence holds " + config.contextLength());
        }
        long now = System.nanoTime();
        long timeout = (request.timeout() != null ? request.timeout() : config.timeout()).toNanos();
        lock.lock();
        try {
            if (state != State.RUNNING) {
                counters.rejected.incrementAndGet();
                throw new BatchRejectedException(BatchRejectedException.Reason.SHUTTING_DOWN, "the server is shutting down", 5);
            }
            if (queue.size() >= config.queueCapacity() && freeSlots() == 0) {
                counters.rejected.incrementAndGet();
                throw new BatchRejectedException(BatchRejectedException.Reason.QUEUE_FULL, "all " + config.parallel()
                        + " sequences are busy and " + queue.size() + " requests are waiting", retryAfterSeconds());
            }
            BatchHandle h = new BatchHandle(ids.incrementAndGet(), request, listener, now, timeout, this::wakeUp);
            queue.addLast(h);
            signal();
            return h;
        } finally {
            lock.unlock();
        }
    }

    /** Slots the loop has not handed out, counting queued requests as taken. Under the lock. */
    private int freeSlots() { return Math.max(0, config.parallel() - active - queue.size()); }

    /** A guess at when a slot frees up: the queue's share of the average request time so far, 1 to 60 seconds. */
    private int retryAfterSeconds() {
        long done = counters.completed.get() + counters.cancelled.get() + counters.timedOut.get() + counters.failed.get();
        double avg = done == 0 ? 1 : counters.busyNanos.get() / 1e9 / done;
        return (int) Math.max(1, Math.min(60, Math.ceil(avg * (queue.size() + 1) / config.parallel())));
    }

    public SchedulerStats stats() {
        int queued;
        lock.lock();
        try {
            queued = queue.size();
        } finally {
            lock.unlock();
        }
        return counters.snapshot(queued, active, config.parallel(), System.nanoTime());
    }

    /**
     * Stops taking requests and waits up to {@code timeout} for queued and running ones to finish; what is left then
     * is cancelled. Returns whether everything finished in time. The scheduler is closed afterwards.
     */
    public boolean drain(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean finished;
        lock.lock();
        try {
            if (state == State.RUNNING) state = State.DRAINING;
            signal();
            while (!(queue.isEmpty() && active == 0) && state != State.CLOSED) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                idle.awaitNanos(left);
            }
            finished = queue.isEmpty() && active == 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finished = false;
        } finally {
            lock.unlock();
        }
        close();
        return finished;
    }

    /** Whether {@link #drain} or {@link #close} was called. */
    public boolean isShuttingDown() { return state != State.RUNNING; }

    /** Cancels every request, queued or running, and stops the thread (waiting for the current step to end). */
    @Override
    public void close() {
        lock.lock();
        try {
            if (state == State.CLOSED) return;
            state = State.CLOSED;
            signal();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() != thread) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void wakeUp() {
        lock.lock();
        try {
            signal();
        } finally {
            lock.unlock();
        }
    }

    private void signal() { wake.signalAll(); }

    private void loop() {
        List<SequenceWork> work = new ArrayList<>(slots.length);
        List<Slot> working = new ArrayList<>(slots.length);
        while (true) {
            List<BatchHandle> admitted = awaitWork();
            if (admitted == null) return;
            long now = System.nanoTime();
            for (BatchHandle h : admitted) admit(h, now);
            retireCancelledAndLate(now);
            work.clear();
            working.clear();
            plan(work, working);
            if (work.isEmpty()) continue;
            step(work, working);
        }
    }

    /**
     * Waits until there is something to do; returns the queued requests that fit into free slots (they count as active
     * from here), or {@code null} when closed. Also times out queued requests.
     */
    private List<BatchHandle> awaitWork() {
        lock.lock();
        try {
            while (true) {
                if (state == State.CLOSED) {
                    abandon();
                    return null;
                }
                expireQueued(System.nanoTime());
                List<BatchHandle> admitted = new ArrayList<>();
                int free = 0;
                for (Slot s : slots) if (s.idle()) free++;
                while (free > admitted.size() && !queue.isEmpty()) admitted.add(queue.pollFirst());
                active += admitted.size();
                if (active > 0) return admitted;
                idle.signalAll();
                long wait = nearestQueuedDeadline() - System.nanoTime();
                wake.awaitNanos(Math.max(1, Math.min(wait, TimeUnit.SECONDS.toNanos(1))));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            state = State.CLOSED;
            return List.of();
        } finally {
            lock.unlock();
        }
    }

    private long nearestQueuedDeadline() {
        long d = Long.MAX_VALUE;
        for (BatchHandle h : queue) d = Math.min(d, h.deadlineNanos);
        return d;
    }

    /** Removes queued requests that were cancelled or ran out of time. Under the lock. */
    private void expireQueued(long now) {
        queue.removeIf(h -> {
            if (h.cancelRequested()) counters.cancelled.incrementAndGet();
            else if (now - h.deadlineNanos >= 0) counters.timedOut.incrementAndGet();
            else return false;
            BatchResult.Outcome o = h.cancelRequested() ? BatchResult.Outcome.CANCELLED : BatchResult.Outcome.TIMED_OUT;
            h.finish(BatchResult.unstarted(o, h, now, null));
            counters.busyNanos.addAndGet(now - h.submittedNanos);
            return true;
        });
    }

    /** Starts {@code h} in the idle slot whose cache holds the longest prefix of its prompt (else the first idle one). */
    private void admit(BatchHandle h, long now) {
        Slot best = null;
        int bestReuse = -1;
        for (Slot s : slots) {
            if (!s.idle()) continue;
            int reuse = s.reusable(h.request);
            if (reuse > bestReuse) {
                best = s;
                bestReuse = reuse;
            }
        }
        if (best == null) throw new IllegalStateException("no idle slot for an admitted request");
        try {
            counters.reused(best.start(h, now));
        } catch (RuntimeException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            counters.failed.incrementAndGet();
            released(1);
            h.finish(BatchResult.unstarted(BatchResult.Outcome.FAILED, h, now, msg));
        }
    }

    private void retireCancelledAndLate(long now) {
        for (Slot s : slots) {
            if (s.idle()) continue;
            BatchHandle h = s.job();
            if (h.cancelRequested()) end(s, BatchResult.Outcome.CANCELLED, null, now);
            else if (now - h.deadlineNanos >= 0) end(s, BatchResult.Outcome.TIMED_OUT, null, now);
        }
    }

    /** Decodes of every generating slot, then prompt chunks while one chunk's worth of prompt tokens allows. */
    private void plan(List<SequenceWork> work, List<Slot> working) {
        int chunk = Math.min(config.prefillChunk(), runner.maxTokensPerSequence());
        for (Slot s : slots) {
            if (s.idle() || s.prefilling()) continue;
            work.add(s.work(chunk));
            working.add(s);
        }
        int prefill = 0;
        for (Slot s : slotsByAge()) {
            if (!s.prefilling()) continue;
            SequenceWork w = s.work(chunk);
            if (prefill > 0 && prefill + w.count() > chunk) break;
            prefill += w.count();
            work.add(w);
            working.add(s);
        }
    }

    /** Busy slots, oldest request first, so prompts are read in arrival order. */
    private List<Slot> slotsByAge() {
        List<Slot> busy = new ArrayList<>(slots.length);
        for (Slot s : slots) if (!s.idle()) busy.add(s);
        busy.sort((a, b) -> Long.compare(a.job().id(), b.job().id()));
        return busy;
    }

    private void step(List<SequenceWork> work, List<Slot> working) {
        int promptTokens = 0;
        for (int i = 0; i < work.size(); i++) if (working.get(i).prefilling()) promptTokens += work.get(i).count();
        try {
            runner.step(work);
        } catch (RuntimeException | OutOfMemoryError e) {
            String msg = "the model step failed: " + (e.getMessage() == null ? e.toString() : e.getMessage());
            long now = System.nanoTime();
            for (Slot s : working) end(s, BatchResult.Outcome.FAILED, msg, now);
            return;
        }
        long now = System.nanoTime();
        int sampled = 0;
        for (int i = 0; i < work.size(); i++) {
            Slot s = working.get(i);
            Slot.Progress p;
            try {
                p = s.afterStep(work.get(i), now);
            } catch (RuntimeException e) {
                end(s, BatchResult.Outcome.FAILED, e.getMessage() == null ? e.toString() : e.getMessage(), now);
                continue;
            }
            if (p != Slot.Progress.READING) sampled++;
            if (p == Slot.Progress.FINISHED) end(s, BatchResult.Outcome.COMPLETED, null, now);
        }
        counters.step(work.size(), promptTokens, sampled, now);
    }

    /** Ends the slot's request: frees the slot, counts it, then delivers the result. */
    private void end(Slot s, BatchResult.Outcome outcome, String error, long now) {
        BatchHandle h = s.job();
        BatchResult r = s.finish(outcome, error, now);
        switch (outcome) {
            case CANCELLED -> counters.cancelled.incrementAndGet();
            case TIMED_OUT -> counters.timedOut.incrementAndGet();
            case FAILED -> counters.failed.incrementAndGet();
            case COMPLETED -> counters.completed.incrementAndGet();
        }
        counters.busyNanos.addAndGet(now - h.submittedNanos);
        released(1);
        h.finish(r);
    }

    private void released(int n) {
        lock.lock();
        try {
            active -= n;
            if (active == 0 && queue.isEmpty()) idle.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** On close: every queued and running request ends as cancelled. Under the lock. */
    private void abandon() {
        long now = System.nanoTime();
        for (BatchHandle h : queue) {
            h.finish(BatchResult.unstarted(BatchResult.Outcome.CANCELLED, h, now, null));
            counters.cancelled.incrementAndGet();
        }
        queue.clear();
        for (Slot s : slots) if (!s.idle()) end(s, BatchResult.Outcome.CANCELLED, null, now);
        idle.signalAll();
    }
}
