package dev.vera4j.simd;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that split index ranges between them. Threads are created once and wait between jobs, so
 * running a kernel on the hot path creates no threads and allocates nothing. The calling thread works too.
 *
 * <pre>{@code
 * try (var pool = new WorkerPool(2)) {
 *     pool.parallelFor(rows, (start, end) -> { for (int r = start; r < end; r++) y[r] = dot(r); });
 * }
 * }</pre>
 *
 * <p>The threads claim chunks of the range in turn, so a thread that the OS delays leaves the rest to the others. The
 * chunks shrink as the range is used up (each takes 1/(2·threads) of what is left, at least 1/(16·threads) of the
 * range), so the job ends with small chunks and the threads reach its barrier close together; the boundaries depend
 * only on the range and the thread count. {@code -Dvera4j.guided=false} cuts {@value #CHUNKS_PER_THREAD} equal chunks
 * per thread instead (for A/B measurements). Decoding one token runs a hundred or more jobs, so idle workers spin for
 * {@link #SPIN_NANOS} before parking: a job that follows soon starts without a wake-up (tens of microseconds).
 *
 * <p>One job runs at a time: {@link #parallelFor} must be called from one thread at a time and not from inside a task
 * (both are detected and rejected). An exception thrown by a task is rethrown by {@link #parallelFor} once every thread
 * has finished the job.
 */
public final class WorkerPool implements AutoCloseable {
    /** How long an idle thread polls for the next job before parking. */
    static final long SPIN_NANOS = 100_000;
    private static final int CHUNKS_PER_THREAD = 4;
    /** Shrinking chunks (see the class comment); measured 1.1× the equal chunks on 1B Q4_0 decode. */
    static final boolean GUIDED = Tuning.GUIDED;

    private final Thread[] workers;
    private final int threads;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger nextStart = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** The job: up to three tasks whose ranges are laid end to end, {@code [0, end0)}, {@code [end0, end1)}, {@code [end1, count)}. */
    private volatile RangeTask task, task1, task2;
    private volatile int end0, end1;
    private volatile int count;
    private volatile int chunks;
    private volatile long generation;
    private volatile boolean closed;
    private volatile Thread caller;

    /** A pool of {@code threads} threads in all, the caller included. */
    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("vera4j-worker-" + (i + 1)).unstarted(this::loop);
            workers[i].start();
        }
    }

    /** The default thread count: the available processors (physical cores are not visible to Java). */
    public static int defaultThreads() { return Math.max(1, Runtime.getRuntime().availableProcessors()); }

    public int threads() { return threads; }

    /**
     * Runs {@code task} over {@code [0, count)}, cut into contiguous ranges; returns when all are done.
     *
     * @throws IllegalStateException if the pool is closed, or a job is already running (reentrant or concurrent call)
     */
    public void parallelFor(int count, RangeTask task) {
        parallelFor(count, task, 0, null, 0, null);
    }

    /**
     * Runs {@code a} over {@code [0, countA)}, {@code b} over {@code [0, countB)} and, unless {@code c} is null,
     * {@code c} over {@code [0, countC)} as one job: the ranges are laid end to end and cut into chunks as one, so the
     * threads meet at one barrier instead of three. A chunk that straddles two ranges runs a piece of each.
     */
    public void parallelFor(int countA, RangeTask a, int countB, RangeTask b, int countC, RangeTask c) {
        if (closed) throw new IllegalStateException("worker pool is closed");
        if (countA < 0 || countB < 0 || countC < 0) throw new IllegalArgumentException("negative count " + Math.min(countA, Math.min(countB, countC)));
        if (!busy.compareAndSet(false, true)) throw new IllegalStateException("parallelFor is already running (reentrant or concurrent call)");
        try {
            int e0 = countA, e1 = e0 + (b == null ? 0 : countB), total = e1 + (c == null ? 0 : countC);
            if (threads == 1 || total < 2) {
                if (countA > 0) a.run(0, countA);
                if (b != null && countB > 0) b.run(0, countB);
                if (c != null && countC > 0) c.run(0, countC);
                return;
            }
            this.task1 = b;
            this.task2 = c;
            this.end0 = e0;
            this.end1 = e1;
            runJob(total, a);
        } finally {
            task1 = task2 = null;
            busy.set(false);
        }
    }

    private void runJob(int count, RangeTask task) {
        this.task = task;
        this.count = count;
        this.chunks = Math.min(count, threads * CHUNKS_PER_THREAD);
        this.caller = Thread.currentThread();
        failure.set(null);
        nextChunk.set(0);
        nextStart.set(0);
        pending.set(workers.length);
        generation = generation + 1; // publishes the fields above
        for (Thread w : workers) LockSupport.unpark(w);
        work();
        long start = System.nanoTime();
        while (pending.get() > 0) {
            if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
            else LockSupport.park(this);
        }
        this.task = null;
        Throwable f = failure.get();
        if (f != null) {
            failure.set(null);
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error e) throw e;
            throw new IllegalStateException("task failed: " + f, f);
        }
    }

    /** Claims and runs chunks until none are left; a failure is kept and the remaining chunks are skipped. */
    private void work() {
        RangeTask t0 = task, t1 = task1, t2 = task2;
        int n = count, c = chunks, e0 = end0, e1 = end1;
        try {
            int min = Math.max(1, n / (threads * 16)), parts = 2 * threads;
            for (int i; ; ) {
                if (failure.get() != null) break;
                int start, end;
                if (GUIDED) {
                    start = nextStart.get();
                    if (start >= n) break;
                    end = Math.min(n, start + Math.max(min, (n - start + parts - 1) / parts));
                    if (!nextStart.compareAndSet(start, end)) continue;
                } else {
                    if ((i = nextChunk.getAndIncrement()) >= c) break;
                    start = (int) ((long) n * i / c);
                    end = (int) ((long) n * (i + 1) / c);
                }
                // these call sites see every task of the process, so the JIT compiles each task's run() on its own; a
                // wrapper task calling three kernels got them inlined into one method, over budget, with boxed vectors
                if (start < e0) t0.run(start, Math.min(end, e0));
                if (end > e0 && start < e1) runPart(t1, Math.max(start, e0) - e0, Math.min(end, e1) - e0);
                if (end > e1) runPart(t2, Math.max(start, e1) - e1, end - e1);
            }
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
        }
    }

    private static void runPart(RangeTask t, int start, int end) {
        if (start < end) t.run(start, end);
    }

    private void loop() {
        long seen = 0;
        while (true) {
            long idleSince = System.nanoTime();
            long g;
            while ((g = generation) == seen) {
                if (closed) return;
                if (System.nanoTime() - idleSince < SPIN_NANOS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            seen = g;
            work();
            if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
        }
    }

    /** Whether any worker thread is still running (for tests of {@link #close}). */
    boolean anyWorkerAlive() {
        for (Thread w : workers) if (w.isAlive()) return true;
        return false;
    }

    /** Stops the worker threads and waits for them to end. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
        for (Thread w : workers) {
            if (w == Thread.currentThread()) continue;
            try {
                w.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
