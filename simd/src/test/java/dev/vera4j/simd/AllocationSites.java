package dev.vera4j.simd;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingStream;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Where a piece of work allocates, from JFR's allocation events with their stacks: the message of a failed allocation
 * check names the frames (a box made where C2 did not inline a vector helper shows as {@code (Inlined)} frames under
 * the kernel), since the failure depends on what ran before and is hard to reproduce alone.
 */
final class AllocationSites {
    private AllocationSites() {}

    /** The four commonest allocating stacks of {@code work}, run on this thread, with their counts of TLAB refills. */
    static String of(Runnable work) {
        Map<String, Integer> sites = new ConcurrentHashMap<>();
        long thread = Thread.currentThread().threadId();
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("jdk.ObjectAllocationInNewTLAB").withStackTrace();
            rs.enable("jdk.ObjectAllocationOutsideTLAB").withStackTrace();
            rs.onEvent(e -> {
                if (e.getThread() != null && e.getThread().getJavaThreadId() == thread) sites.merge(describe(e), 1, Integer::sum);
            });
            rs.startAsync();
            work.run();
            rs.stop();   // returns once the recorded events are consumed
        }
        return sites.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(4)
                .map(e -> e.getValue() + "x " + e.getKey()).collect(Collectors.joining("; "));
    }

    private static String describe(RecordedEvent e) {
        String type = e.getClass("objectClass") == null ? "?" : e.getClass("objectClass").getName();
        if (e.getStackTrace() == null) return type;
        return type + " at " + e.getStackTrace().getFrames().stream().limit(5).map(AllocationSites::frame)
                .collect(Collectors.joining(" < "));
    }

    private static String frame(RecordedFrame f) {
        return f.getMethod().getType().getName().replaceAll(".*\\.", "") + "." + f.getMethod().getName() + ":"
                + f.getLineNumber() + "(" + f.getType() + ")";
    }
}
