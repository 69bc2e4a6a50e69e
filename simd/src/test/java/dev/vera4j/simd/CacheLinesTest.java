package dev.vera4j.simd;

import org.junit.jupiter.api.Test;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CacheLinesTest {
    /**
     * The index found starts a 64-byte line: checked with C's {@code memchr}, which returns the address of the first
     * matching byte (an independent way to read an element's address). Arrays of several sizes land at different
     * offsets within a line.
     */
    @Test
    void firstAlignedElementStartsALine() throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle memchr = linker.downcallHandle(linker.defaultLookup().find("memchr").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
                Linker.Option.critical(true));
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        java.util.List<float[]> keep = new java.util.ArrayList<>();
        for (int n = 17; n < 17 + 40; n++) {
            float[] a = new float[n];
            keep.add(a);
            int i = -1;
            long address = -1;
            // twice at most: a GC may move the array between the two calls
            for (int attempt = 0; attempt < 2 && (address & 63) != 0; attempt++) {
                if (i >= 0) a[i] = 0;
                i = CacheLines.firstAligned(a);
                assertTrue(i >= 0 && i < 16, "index " + i);
                a[i] = Float.intBitsToFloat(0x7f7f7f7f);   // the only nonzero bytes
                address = (long) memchr.invokeExact(MemorySegment.ofArray(a), 0x7f, 4L * n);
            }
            assertEquals(0, address & 63, "a[" + i + "] of float[" + n + "] at " + Long.toHexString(address));
            seen.add(i);
        }
        assertTrue(seen.size() > 1, "every array at the same offset in its line: " + seen);
    }

    @Test
    void wholeLinesRoundsUpToSixteenFloats() {
        assertEquals(0, CacheLines.wholeLines(0));
        assertEquals(16, CacheLines.wholeLines(1));
        assertEquals(16, CacheLines.wholeLines(16));
        assertEquals(2064, CacheLines.wholeLines(2049));
        assertEquals(15, CacheLines.SLACK);
    }
}
