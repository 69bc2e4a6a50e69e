package dev.vera4j.simd;

/** Work over the index range {@code [start, end)}, run by one worker. */
@FunctionalInterface
public interface RangeTask {
    void run(int start, int end);
}
