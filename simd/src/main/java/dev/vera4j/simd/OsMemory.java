package dev.vera4j.simd;

import java.io.BufferedReader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What Linux offers for large buffers, through FFM (elsewhere the plain fallbacks):
 * <ul>
 * <li>{@link #allocateHuge}: an anonymous {@code mmap} advised with {@code MADV_HUGEPAGE} (2 MB pages), unmapped when
 * the arena closes. A weight copy of hundreds of MB then costs a few hundred page faults instead of a fault per 4 KB
 * page plus {@link Arena#allocate}'s zeroing (measured: 140 MB in 4 KB pages took 0.42 s on this machine's VM before a
 * byte was written), and a kernel streaming it misses the TLB less.</li>
 * <li>{@link #release}: {@code MADV_DONTNEED} on the whole pages of a read-only file mapping that nothing will read
 * for a while; they leave the process's resident memory and come back from the page cache if read again.</li>
 * <li>{@link #adviseHugePages}: {@code MADV_HUGEPAGE} on a read-only file mapping. Where the page cache holds the file
 * in 2 MB folios (Linux 6.x file systems with large folios, such as ext4 and XFS, keep them for writes of whole 2 MB
 * blocks, and read into them through such a mapping), the mapping takes 2 MB pages: mapping a 760 MB file and touching
 * it took 3 ms instead of 0.1 s, and kernels stream it without the TLB misses of 4 KB pages.</li>
 * <li>{@link #populate} maps a file mapping's pages now ({@code MADV_POPULATE_READ}), {@link #cacheInHugePages} brings
 * a file into the page cache that way, and {@link #hugePageBytes} says how much of a mapping has 2 MB pages
 * ({@code /proc/self/smaps}).</li>
 * </ul>
 *
 * <pre>{@code
 * MemorySegment copy = OsMemory.allocateHuge(arena, 700L << 20);   // zeroed, 64-byte aligned
 * OsMemory.release(tensor.data());                                // its pages are only re-read on demand
 * OsMemory.adviseHugePages(part.mapping());                        // 2 MB pages where the page cache has them
 * OsMemory.populate(part.mapping());                               // mapped now, read in 2 MB folios where missing
 * }</pre>
 */
public final class OsMemory {
    private OsMemory() {}

    private static final int PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MADV_HUGEPAGE = 14, MADV_DONTNEED = 4,
            MADV_POPULATE_READ = 22;
    private static final long PAGE = 4096;
    private static final long HUGE = 2L << 20;
    /** mmap, madvise and munmap, or null off Linux (then {@link #allocateHuge} takes the arena's memory). */
    private static final MethodHandle MMAP, MADVISE, MUNMAP;

    static {
        MethodHandle mmap = null, madvise = null, munmap = null;
        if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                var lookup = linker.defaultLookup();
                mmap = lookup.find("mmap").map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_LONG))).orElse(null);
                madvise = lookup.find("madvise").map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT))).orElse(null);
                munmap = lookup.find("munmap").map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG))).orElse(null);
            } catch (RuntimeException e) {   // no native access: the arena's memory will do
                mmap = madvise = munmap = null;
            }
        }
        boolean all = mmap != null && madvise != null && munmap != null;
        MMAP = all ? mmap : null;
        MADVISE = all ? madvise : null;
        MUNMAP = all ? munmap : null;
    }

    /** The memory {@link #allocateHuge} takes for {@code bytes}: whole 2 MB pages from 2 MB up (where it maps them). */
    public static long footprint(long bytes) {
        return MMAP == null || bytes < HUGE ? bytes : (bytes + HUGE - 1) & -HUGE;
    }

    /** {@code bytes} of zeroed memory, 64-byte aligned, freed when {@code arena} closes. */
    public static MemorySegment allocateHuge(Arena arena, long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
        if (MMAP == null || bytes < HUGE) return arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
        long size = (bytes + HUGE - 1) & -HUGE;
        try {
            MemorySegment p = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
            if (p.address() == -1L) return arena.allocate(bytes, 64);   // MAP_FAILED
            int ignored = (int) MADVISE.invokeExact(p, size, MADV_HUGEPAGE);   // advice only; 4 KB pages still work
            long mapped = size;
            return p.reinterpret(size, arena, s -> unmap(s, mapped)).asSlice(0, bytes);
        } catch (Throwable e) {
            throw new IllegalStateException("mmap of " + size + " bytes failed: " + e, e);
        }
    }

    /**
     * Drops the whole 4 KB pages inside {@code mapped} (a slice of a read-only file mapping) from the process's resident
     * set; the bytes stay readable. Returns whether the OS took the advice (false off Linux, and for any segment that
     * is not a read-only file mapping, which is left alone).
     */
    public static boolean release(MemorySegment mapped) {
        // only a read-only file mapping: on anonymous or writable private memory the advice would discard data
        return adviseFileMapping(mapped, MADV_DONTNEED);
    }

    /**
     * Advises 2 MB pages for {@code mapped} (a read-only file mapping; its whole 4 KB pages); returns whether the OS
     * took the advice (false off Linux and for any other segment). The mapping reads the same either way.
     */
    public static boolean adviseHugePages(MemorySegment mapped) {
        return adviseFileMapping(mapped, MADV_HUGEPAGE);
    }

    /**
     * Maps every page of {@code mapped} (a read-only file mapping) now, reading what the page cache lacks
     * ({@code MADV_POPULATE_READ}, Linux 5.14 and later); returns whether the OS did. After {@link #adviseHugePages}
     * the missing parts are read into 2 MB folios and mapped as such.
     */
    public static boolean populate(MemorySegment mapped) {
        return adviseFileMapping(mapped, MADV_POPULATE_READ);
    }

    /**
     * Brings {@code file} into the page cache in 2 MB folios where it is not there yet, through a mapping advised to take
     * huge pages and populated ({@link #populate}), then unmapped; whether the OS did. Before the file is read otherwise:
     * the read-ahead of a plain mapping or of {@code read} would bring it in small folios, which stay until evicted.
     */
    public static boolean cacheInHugePages(Path file) {
        if (MADVISE == null) return false;
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return adviseHugePages(m) && populate(m);
        } catch (IOException | RuntimeException e) {
            return false;   // unreadable, or empty: whoever opens it next says what is wrong
        }
    }

    /** {@code madvise(advice)} on the whole 4 KB pages of a read-only file mapping; whether the OS took it. */
    private static boolean adviseFileMapping(MemorySegment mapped, int advice) {
        if (MADVISE == null || !mapped.isMapped() || !mapped.isReadOnly()) return false;
        long start = (mapped.address() + PAGE - 1) & -PAGE, end = (mapped.address() + mapped.byteSize()) & -PAGE;
        if (end <= start) return false;
        try {
            return (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, advice) == 0;
        } catch (Throwable e) {
            throw new IllegalStateException("madvise failed: " + e, e);
        }
    }

    /**
     * The bytes of {@code mapped}'s mapping that the process maps with 2 MB pages now ({@code FilePmdMapped} and
     * {@code AnonHugePages} of the mapping that starts at its first page, in {@code /proc/self/smaps}), or -1 where that
     * cannot be read (off Linux, or no such mapping). Only pages touched so far are mapped at all.
     */
    public static long hugePageBytes(MemorySegment mapped) {
        String start = Long.toHexString(mapped.address() & -PAGE) + "-";
        try (BufferedReader r = Files.newBufferedReader(Path.of("/proc/self/smaps"))) {
            boolean in = false;
            long sum = 0;
            for (String line; (line = r.readLine()) != null; ) {
                int dash = line.indexOf('-'), colon = line.indexOf(':');
                if (dash > 0 && (colon < 0 || dash < colon)) {   // "start-end perms offset dev inode path" opens a mapping
                    if (in) return sum;
                    in = line.startsWith(start);
                } else if (in && (line.startsWith("FilePmdMapped:") || line.startsWith("AnonHugePages:"))) {
                    sum += Long.parseLong(line.substring(colon + 1).replace("kB", "").strip()) * 1024;
                }
            }
            return in ? sum : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static void unmap(MemorySegment p, long size) {
        try {
            int ignored = (int) MUNMAP.invokeExact(p, size);
        } catch (Throwable e) {
            throw new IllegalStateException("munmap failed: " + e, e);
        }
    }
}
