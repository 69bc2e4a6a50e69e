package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link PackedLayout} of runs of 256 values: each run's bytes (one K-quant super-block, or eight 32-value blocks)
 * are rearranged within the run, which keeps its size and offset, so rows keep their offsets too. Rows must be whole
 * runs.
 *
 * <p>A subclass describes both layouts the same way, as what {@code fields} a run holds — its quants (entries
 * {@code 0 .. 255}, value by value, as stored) and then its scales, mins and the bytes of its fp16 factors — and how
 * each layout reads and writes them ({@link #readGguf}, {@link #writePacked}, and back). Those four scalar methods are
 * the specification; packing does not call them per run. Since packing only moves bits, the class probes them once
 * (at its first packing or unpacking), bit by bit, and compiles the permutation into moves of bit groups between
 * bytes, which {@link #pack} and {@link #unpackRow} apply to whole runs.
 */
abstract class RunLayout implements PackedLayout {
    private final GgmlType type;
    final int runBytes;
    private final boolean tokensKernel;
    private final int maxTokens;
    /**
     * The compiled permutation, made at the first packing or unpacking: a process that packs nothing (AVX2), or only
     * some types, does not pay at start-up for probing every layout's bits (0.85 s for all of them, interpreted).
     */
    private volatile Moves moves;

    /**
     * Packing moves, 5 ints each (source byte, destination byte, source shift, destination shift, mask), those of
     * unpacking, those of the bits that are not quants (scales, factors) for {@link #packQuants}' layouts, and the
     * packed bytes that hold no quant bits (what {@code other} writes).
     */
    private record Moves(int[] pack, int[] unpack, int[] other, int[] otherBytes) {}

    /** A layout whose products of several tokens run {@link #dot} once per token, up to {@link Tuning#RUN_INT8_MAX_TOKENS}. */
    RunLayout(GgmlType type) {
        this(type, false, Tuning.RUN_INT8_MAX_TOKENS);
    }

    /**
     * A layout that overrides {@link #dots} with a kernel of its own, taking products over several sequences of up to
     * {@code maxTokens} tokens (where that kernel is ahead of the panel GEMM).
     */
    RunLayout(GgmlType type, int maxTokens) {
        this(type, true, maxTokens);
    }

    private RunLayout(GgmlType type, boolean tokensKernel, int maxTokens) {
        this.type = type;
        this.runBytes = (int) type.bytesFor(256);
        this.tokensKernel = tokensKernel;
        this.maxTokens = maxTokens;
    }

    @Override
    public boolean tokensKernel() { return tokensKernel; }

    @Override
    public int maxTokens() { return maxTokens; }

    private Moves moves() {
        Moves m = moves;
        if (m == null) {
            synchronized (this) {
                m = moves;
                if (m == null) moves = m = compile();
            }
        }
        return m;
    }

    private Moves compile() {
        boolean[] quantBit = new boolean[8 * runBytes];
        int[] to = permutation(true, quantBit), from = permutation(false, null);
        for (int b = 0; b < to.length; b++) {
            if (from[to[b]] != b) throw new IllegalStateException(type + ": packing and unpacking are not inverse at bit " + b);
        }
        boolean[] other = new boolean[to.length];
        boolean[] quantByte = new boolean[runBytes];
        for (int b = 0; b < to.length; b++) {
            other[b] = !quantBit[b];
            if (quantBit[b]) quantByte[to[b] / 8] = true;
        }
        for (int b = 0; b < to.length; b++) {
            if (!quantBit[b] && quantByte[to[b] / 8]) throw new IllegalStateException(type + ": a packed byte mixes quants and other fields");
        }
        int[] otherBytes = java.util.stream.IntStream.range(0, runBytes).filter(i -> !quantByte[i]).toArray();
        return new Moves(moves(to, null), moves(from, null), moves(to, other), otherBytes);
    }

    @Override
    public GgmlType type() { return type; }

    @Override
    public boolean accepts(Weights w) { return w.type() == type && acceptsShape(w.rows(), w.cols()); }

    @Override
    public boolean acceptsShape(int rows, int cols) { return cols % 256 == 0; }

    /** The number of fields a run holds: its 256 quants and the subclass's others. */
    abstract int fieldCount();

    /** The fields of the GGUF run {@code run}: quants first. */
    abstract void readGguf(byte[] run, int[] fields);

    /** Writes the fields into the GGUF run (all bytes of {@code run} are written). */
    abstract void writeGguf(int[] fields, byte[] run);

    abstract void readPacked(byte[] run, int[] fields);

    abstract void writePacked(int[] fields, byte[] run);

    /** Decodes {@code runs} packed runs from {@code packed[off]} into {@code out[o ..]}, each run transposed. */
    abstract void decodeRuns(MemorySegment packed, long off, int runs, float[] out, int o);

    /**
     * The kernel: {@code Σ} of the packed row at {@code off} ({@code runs} runs) times the activations'
     * ({@link Int8Activations#k}) runs from {@code ro}.
     */
    abstract float dot(MemorySegment packed, long off, Int8Activations a, int ro, int runs);

    /**
     * The kernel for {@code m} tokens at once, 2 to 4: {@code y[yo + t·ys]} = {@link #dot} of the row with token
     * {@code t}'s runs (from {@code ro + t·runs}), {@code t < m}. A layout whose quants take many operations to unpack
     * overrides it to unpack each run once for all {@code m}; this one calls {@link #dot} for each.
     */
    void dots(MemorySegment packed, long off, Int8Activations a, int ro, int runs, int m, float[] y, int yo, int ys) {
        for (int t = 0; t < m; t++) y[yo + t * ys] = dot(packed, off, a, ro + t * runs, runs);
    }

    /**
     * The kernel's scalar reference, over the GGUF row at {@code off} (not the packed one), in double: per run the
     * fields the layout reads, the activations' integers in natural order, {@link #runDot} times the run's scale.
     * With {@code magnitude}, the sum of the terms' absolute values instead: what float rounding is relative to.
     */
    final double dotReference(MemorySegment gguf, long off, Int8Activations a, int ro, int runs, boolean magnitude) {
        int[] f = new int[fieldCount()], x = new int[256];
        byte[] run = new byte[runBytes];
        double sum = 0;
        for (int s = 0; s < runs; s++) {
            MemorySegment.copy(gguf, ValueLayout.JAVA_BYTE, off + (long) runBytes * s, run, 0, runBytes);
            readGguf(run, f);
            for (int v = 0; v < 256; v++) x[v] = a.k[256 * (ro + s) + KOrder.POSITION[v]];
            sum += a.kd[ro + s] * runDot(f, x, magnitude);
        }
        return sum;
    }

    /**
     * {@code Σ_v weight(v)·x[v]} of one run from its fields, with the integer sums the kernel forms kept exact; with
     * {@code magnitude} the same terms' absolute values.
     */
    abstract double runDot(int[] f, int[] x, boolean magnitude);

    /** The fp16 at fields {@code f[i]} (low byte) and {@code f[i + 1]}, as a double. */
    static double half(int[] f, int i) {
        return Float.float16ToFloat((short) (f[i] | f[i + 1] << 8));
    }

    @Override
    public Int8Job newJob() { return new Job(this, false); }

    /**
     * Rows {@code [start, end)} of every token, read from a packed copy by its layout's kernel. With several tokens (a
     * batched decode step) each row is multiplied with all of them in turn while its few KB stay in the L1 cache, so
     * the copy is read from memory once per product rather than once per token; the layout's kernel of several tokens
     * ({@link #dots}) takes them up to four at a time where the job is made for it. (One class and one call site for one
     * and several tokens: with a second job class calling the kernels, C2 left some of them boxing vectors.)
     */
    static final class Job extends Int8Job {
        private final RunLayout layout;
        /** Whether several tokens go through {@link #dots}, else through {@link #dot} one at a time. */
        private final boolean dots;

        Job(RunLayout layout, boolean dots) {
            this.layout = layout;
            this.dots = dots;
        }

        @Override
        int layouts() { return Int8Activations.K_ORDER; }

        @Override
        public void run(int start, int end) {
            MemorySegment w = packed;
            Int8Activations a = acts;
            float[] y = this.y;
            int runs = cols / 256, yo = yOff, rows = this.rows, n = this.n;
            for (int r = start; r < end; r++) {
                long off = rowBytes * r;
                int t = 0;
                if (dots) for (; n - t >= 2; t += 4) layout.dots(w, off, a, t * runs, runs, Math.min(4, n - t), y, yo + t * rows + r, rows);
                for (; t < n; t++) y[yo + t * rows + r] = layout.dot(w, off, a, t * runs, runs);
            }
        }
    }

    @Override
    public Int8Job newTokensJob() { return new Job(this, tokensKernel); }

    /** The packed runs decode each run transposed (see {@link PackedLayout#decodeRow}). */
    @Override
    public boolean transposedRuns() { return true; }

    @Override
    public void decodeRow(MemorySegment packed, int row, int cols, float[] out, int o, MemorySegment scratch) {
        decodeRuns(packed, type.bytesFor(cols) * row, cols / 256, out, o);
    }

    @Override
    public MemorySegment pack(Weights w, Arena arena, WorkerPool pool) {
        long rowBytes = w.rowBytes();
        MemorySegment src = w.data(), dst = OsMemory.allocateHuge(arena, rowBytes * w.rows());
        pool.parallelFor(w.rows(), (start, end) -> packRuns(src, start * rowBytes, dst, (end - start) * rowBytes / runBytes, Tuning.SCALAR || !Int8.ENABLED));
        return dst;
    }

    /**
     * Packs {@code runs} GGUF runs from {@code src[off]} into {@code dst[off]}: with vectors where the layout has them
     * ({@link #packQuants}, the quant planes, and the scalar moves of the other fields), else by the moves alone.
     */
    final void packRuns(MemorySegment src, long off, MemorySegment dst, long runs, boolean scalar) {
        if (scalar || !hasVectorPacking()) {
            apply(moves().pack(), src, off, dst, off, runs);
            return;
        }
        byte[] in = new byte[runBytes], out = new byte[runBytes];
        Moves all = moves();
        int[] moves = all.other(), bytes = all.otherBytes();
        for (long r = 0; r < runs; r++) {
            long o = off + r * runBytes;
            packQuants(src, o, dst, o);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, o, in, 0, runBytes);
            for (int m = 0; m < moves.length; m += 5) {
                out[moves[m + 1]] = 0;
            }
            for (int m = 0; m < moves.length; m += 5) {
                out[moves[m + 1]] |= (byte) ((((in[moves[m]] & 0xff) >>> moves[m + 2]) & moves[m + 4]) << moves[m + 3]);
            }
            for (int b : bytes) dst.set(ValueLayout.JAVA_BYTE, o + b, out[b]);
        }
    }

    /** Whether {@link #packQuants} is implemented. */
    boolean hasVectorPacking() { return false; }

    /** Writes the quant planes of the packed run for the GGUF run at {@code src[s]} to {@code dst[d]} with vector permutes. */
    void packQuants(MemorySegment src, long s, MemorySegment dst, long d) {
        throw new UnsupportedOperationException(type + " packs by moves only");
    }

    @Override
    public void unpackRow(MemorySegment packed, int row, int cols, MemorySegment out) {
        long rowBytes = type.bytesFor(cols);
        apply(moves().unpack(), packed, rowBytes * row, out, 0, rowBytes / runBytes);
    }

    /** Applies the moves to {@code runs} runs from {@code src[srcOff]}, writing them from {@code dst[dstOff]}. */
    private void apply(int[] moves, MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long runs) {
        byte[] in = new byte[runBytes], out = new byte[runBytes];
        for (long r = 0; r < runs; r++) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOff + r * runBytes, in, 0, runBytes);
            java.util.Arrays.fill(out, (byte) 0);
            for (int m = 0; m < moves.length; m += 5) {
                out[moves[m + 1]] |= (byte) ((((in[moves[m]] & 0xff) >>> moves[m + 2]) & moves[m + 4]) << moves[m + 3]);
            }
            MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, dstOff + r * runBytes, runBytes);
        }
    }

    /**
     * For each bit of a run (byte · 8 + bit), where it goes: packing a GGUF run, or with {@code !pack} unpacking; when
     * packing, {@code quantBit} tells which source bits belong to quants (fields 0..255).
     */
    private int[] permutation(boolean pack, boolean[] quantBit) {
        int bits = 8 * runBytes;
        int[] to = new int[bits];
        int[] fields = new int[fieldCount()];
        byte[] in = new byte[runBytes], out = new byte[runBytes];
        for (int b = 0; b < bits; b++) {
            java.util.Arrays.fill(in, (byte) 0);
            java.util.Arrays.fill(fields, 0);
            in[b / 8] = (byte) (1 << (b % 8));
            if (pack) readGguf(in, fields); else readPacked(in, fields);
            if (quantBit != null) for (int q = 0; q < 256; q++) quantBit[b] |= fields[q] != 0;
            java.util.Arrays.fill(out, (byte) 0);
            if (pack) writePacked(fields, out); else writeGguf(fields, out);
            int found = -1;
            for (int i = 0; i < runBytes; i++) {
                int v = out[i] & 0xff;
                if (v == 0) continue;
                if (found >= 0 || (v & (v - 1)) != 0) throw new IllegalStateException(type + ": bit " + b + " lands in two places");
                found = 8 * i + Integer.numberOfTrailingZeros(v);
            }
            if (found < 0) throw new IllegalStateException(type + ": bit " + b + " is lost");
            to[b] = found;
        }
        return to;
    }

    /**
     * Groups consecutive bits that stay consecutive (same source byte, same destination byte) into moves; only the bits
     * with {@code keep[b]}, or all of them.
     */
    private static int[] moves(int[] to, boolean[] keep) {
        List<int[]> list = new ArrayList<>();
        for (int b = 0; b < to.length; ) {
            if (keep != null && !keep[b]) {
                b++;
                continue;
            }
            int n = 1;
            while (b + n < to.length && (b + n) % 8 != 0 && to[b + n] == to[b] + n && (to[b] + n) % 8 != 0 && (keep == null || keep[b + n])) n++;
            list.add(new int[]{b / 8, to[b] / 8, b % 8, to[b] % 8, (1 << n) - 1});
            b += n;
        }
        int[] m = new int[5 * list.size()];
        for (int i = 0; i < list.size(); i++) System.arraycopy(list.get(i), 0, m, 5 * i, 5);
        return m;
    }

    /** The number of moves a packed run costs (for tests and measurements). */
    int packMoveCount() { return moves().pack().length / 5; }

    /**
     * Six-bit scales minus 32 (Q3_K, IQ4_XS), per int lane, from bytes zero-extended to ints: the low four bits from the
     * byte {@code low} picks, shifted right by {@code lowShift}, the top two from the one {@code top} picks. For the
     * layouts' decoders (the one-token kernels write it out: a call C2 does not inline boxes its vectors).
     */
    static jdk.incubator.vector.IntVector sixBitScales(jdk.incubator.vector.IntVector b, jdk.incubator.vector.VectorShuffle<Integer> low,
                                                        jdk.incubator.vector.IntVector lowShift, jdk.incubator.vector.VectorShuffle<Integer> top,
                                                        jdk.incubator.vector.IntVector topShift) {
        return b.rearrange(low).lanewise(jdk.incubator.vector.VectorOperators.LSHR, lowShift).and(15)
                .or(b.rearrange(top).lanewise(jdk.incubator.vector.VectorOperators.LSHR, topShift).and(3)
                        .lanewise(jdk.incubator.vector.VectorOperators.LSHL, 4)).sub(32);
    }

    /** {@code width} bits of {@code a[i]} from bit {@code shift}. */
    static int bits(byte[] a, int i, int shift, int width) {
        return (a[i] & 0xff) >>> shift & (1 << width) - 1;
    }

    /** Sets {@code width} bits of {@code a[i]} from bit {@code shift} to {@code v} (which must fit; the bits were 0). */
    static void put(byte[] a, int i, int shift, int width, int v) {
        a[i] |= (byte) ((v & (1 << width) - 1) << shift);
    }

    /**
     * Planes of quant bits in {@link KOrder}, as the kernels read them; {@code pos = 32t + l} is KOrder position
     * {@code (t, l)}.
     * <ul>
     * <li>nibbles (128 bytes): two vectors of 32 shorts; nibble {@code t mod 4} of short {@code l} of vector {@code t / 4};</li>
     * <li>pairs of bits (64 bytes): one vector of 32 shorts; bits {@code 2t, 2t+1} of short {@code l};</li>
     * <li>single bits (32 bytes): bit {@code t} of byte {@code l}.</li>
     * </ul>
     */
    static int nibbleByte(int pos) { int t = pos / 32, l = pos % 32; return 64 * (t / 4) + 2 * l + (t % 4) / 2; }

    static int nibbleShift(int pos) { return 4 * (pos / 32 % 2); }

    static int pairByte(int pos) { int t = pos / 32, l = pos % 32; return 2 * l + t / 4; }

    static int pairShift(int pos) { return 2 * (pos / 32 % 4); }

    static int bitByte(int pos) { return pos % 32; }

    static int bitShift(int pos) { return pos / 32; }
}
