package dev.vera4j.simd;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that split index ranges between them. Threads are created once and park between jobs, so
 * running a kernel on the hot path creates no threads and allocates nothing. The calling thread takes the first
 * range itself.
 *
 * <pre>{@code
 * try (var pool = new WorkerPool(2)) {
 *     pool.parallelFor(rows, (start, end) -> { for (int r = start; r < end; r++) y[r] = dot(r); });
 * }
 * }</pre>
 *
 * <p>One job runs at a time: {@link #parallelFor} is not reentrant and must be called from one thread at a time.
 */
public final class WorkerPool implements AutoCloseable {
    private final Thread[] workers;
    private final int threads;
    private volatile RangeTask task;
    private volatile int count;
    private volatile long generation;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Throwable failure;
    private volatile boolean closed;
    private final Thread[] waiting = new Thread[1];

    /** A pool of {@code threads} threads in all, the caller included. */
    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            final int index = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("vera4j-worker-" + index).unstarted(() -> loop(index));
            workers[i].start();
        }
    }

    /** The default thread count: the available processors (physical cores are not visible to Java). */
    public static int defaultThreads() { return Math.max(1, Runtime.getRuntime().availableProcessors()); }

    public int threads() { return threads; }

    /** Runs {@code task} over {@code [0, count)} split into one contiguous range per thread; returns when all are done. */
    public void parallelFor(int count, RangeTask task) {
        if (closed) throw new IllegalStateException("worker pool is closed");
        if (threads == 1 || count < 2) {
            task.run(0, count);
            return;
        }
        this.task = task;
        this.count = count;
        this.failure = null;
        pending.set(workers.length);
        waiting[0] = Thread.currentThread();
        generation++;
        for (Thread w : workers) LockSupport.unpark(w);
        Throwable own = null;
        try {
            runShare(0, task, count);
        } catch (Throwable t) {
            own = t;
        }
        while (pending.get() > 0) {
            LockSupport.park(this);
        }
        this.task = null;
        Throwable f = own != null ? own : failure;
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error e) throw e;
        if (f != null) throw new RuntimeException(f);
    }

    private void runShare(int index, RangeTask t, int n) {
        int start = (int) ((long) n * index / threads);
        int end = (int) ((long) n * (index + 1) / threads);
        if (start < end) t.run(start, end);
    }

    private void loop(int index) {
        long seen = 0;
        while (!closed) {
            long g = generation;
            if (g == seen) {
                LockSupport.park(this);
                continue;
            }
            seen = g;
            try {
                runShare(index, task, count);
            } catch (Throwable t) {
                failure = t;
            }
            if (pending.decrementAndGet() == 0) LockSupport.unpark(waiting[0]);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
