package dev.vera4j.simd;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerPoolTest {
    @Test
    void everyIndexRunsExactlyOnceForManyJobs() {
        for (int threads = 1; threads <= 4; threads++) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int count : new int[]{0, 1, 2, 3, 5, 8, 100, 1001}) {
                    for (int rep = 0; rep < 50; rep++) {
                        int[] hits = new int[count];
                        pool.parallelFor(count, (s, e) -> {
                            assertTrue(s < e, "empty range");
                            for (int i = s; i < e; i++) hits[i]++;
                        });
                        for (int i = 0; i < count; i++) assertEquals(1, hits[i], "threads=" + threads + " count=" + count + " index " + i);
                    }
                }
            }
        }
    }

    @Test
    void threeTasksAsOneJobRunEachOfTheirIndicesOnce() {
        int[][] shapes = {{5, 7, 3}, {0, 4, 0}, {1, 0, 9}, {100, 1, 37}, {2, 2, 0}};
        for (int threads = 1; threads <= 3; threads++) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int[] n : shapes) {
                    for (boolean withC : new boolean[]{true, false}) {
                        AtomicInteger[][] hits = new AtomicInteger[3][];
                        RangeTask[] tasks = new RangeTask[3];
                        for (int i = 0; i < 3; i++) {
                            AtomicInteger[] h = hits[i] = new AtomicInteger[n[i]];
                            for (int j = 0; j < h.length; j++) h[j] = new AtomicInteger();
                            tasks[i] = (s, e) -> {
                                assertTrue(s < e, "empty range " + s + ".." + e);
                                for (int j = s; j < e; j++) h[j].incrementAndGet();
                            };
                        }
                        pool.parallelFor(n[0], tasks[0], n[1], tasks[1], n[2], withC ? tasks[2] : null);
                        for (int i = 0; i < 3; i++) {
                            for (AtomicInteger h : hits[i]) assertEquals(i < 2 || withC ? 1 : 0, h.get(), "threads " + threads + " task " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void usesSeveralThreads() throws Exception {
        try (WorkerPool pool = new WorkerPool(3)) {
            var names = java.util.concurrent.ConcurrentHashMap.<String>newKeySet();
            for (int rep = 0; rep < 200 && names.size() < 2; rep++) {
                pool.parallelFor(12, (s, e) -> {
                    names.add(Thread.currentThread().getName());
                    long until = System.nanoTime() + 200_000;
                    while (System.nanoTime() < until) Thread.onSpinWait();
                });
            }
            assertTrue(names.size() >= 2, "only " + names);
        }
    }

    @Test
    void exceptionsPropagateAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int rep = 0; rep < 20; rep++) {
                IllegalStateException boom = new IllegalStateException("boom");
                var thrown = assertThrows(IllegalStateException.class, () -> pool.parallelFor(100, (s, e) -> {
                    if (s <= 80 && 80 < e) throw boom;
                }));
                assertSame(boom, thrown);
                AtomicInteger sum = new AtomicInteger();
                pool.parallelFor(100, (s, e) -> sum.addAndGet(e - s));
                assertEquals(100, sum.get());
            }
            var err = assertThrows(AssertionError.class, () -> pool.parallelFor(10, (s, e) -> { throw new AssertionError("e"); }));
            assertEquals("e", err.getMessage());
        }
    }

    @Test
    void rejectsReentrantCallsAndUseAfterClose() {
        WorkerPool pool = new WorkerPool(2);
        var inner = new java.util.concurrent.atomic.AtomicReference<Throwable>();
        pool.parallelFor(4, (s, e) -> {
            try {
                pool.parallelFor(2, (a, b) -> {});
            } catch (Throwable t) {
                inner.set(t);
            }
        });
        assertTrue(inner.get() instanceof IllegalStateException, String.valueOf(inner.get()));
        pool.close();
        pool.close();
        assertThrows(IllegalStateException.class, () -> pool.parallelFor(4, (s, e) -> {}));
    }

    @Test
    void closeStopsTheWorkerThreads() throws Exception {
        WorkerPool pool = new WorkerPool(3);
        pool.parallelFor(10, (s, e) -> {});
        assertTrue(pool.anyWorkerAlive());
        Thread.sleep(5); // let the workers go from spinning to parked
        pool.close();
        assertFalse(pool.anyWorkerAlive());
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new WorkerPool(0));
        try (WorkerPool pool = new WorkerPool(1)) {
            assertThrows(IllegalArgumentException.class, () -> pool.parallelFor(-1, (s, e) -> {}));
        }
    }
}
