package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What multiplies each weight type, in one list: per type the float row kernels (one to seven tokens, reading the
 * GGUF rows), the int8 one-token kernel over GGUF rows, and the packed layout with its one-token kernel and its
 * kernel for the few tokens of a batched decode step ({@link PackedLayout#newTokensJob}, up to
 * {@link PackedLayout#maxTokens} tokens); where the CPU has 256-bit vectors only (AVX2), an int8 kernel over the GGUF
 * rows in 256-bit vectors takes the products of one to {@link Tuning#NARROW_MAX_TOKENS} tokens, token by token. A
 * type that is not listed, or a kind of kernel a type lacks, falls back to the next: packed, then int8, then float rows, then rows
 * dequantized by the type's codec. Products of {@link Tuning#PANEL_MIN_TOKENS} tokens or more go through
 * {@link PanelJob} for every type.
 *
 * <pre>{@code
 * KernelTable.Entry e = KernelTable.of(GgmlType.Q6_K);   // Q6KDot for a few tokens, Q6KPacked for one
 * }</pre>
 */
final class KernelTable {
    private KernelTable() {}

    /**
     * The kernels of one type; each null where the type has none of that kind.
     *
     * @param floatRows rows against float activations, from the GGUF layout ({@code *Dot.Job})
     * @param int8Row   one token against int8 activations, from the GGUF layout
     * @param layout    the packed copy's layout ({@link Weights#pack}), whose {@link PackedLayout#newJob} is the one-token
     *                  kernel over the copy
     * @param narrowRow one token against int8 activations, from the GGUF layout, in 256-bit vectors: what runs instead
     *                  of the int8 and packed kernels where the CPU has no 512-bit vectors ({@link Narrow#ENABLED}, AVX2)
     */
    record Entry(GgmlType type, Supplier<RowJob> floatRows, Supplier<Int8Job> int8Row, PackedLayout layout, NarrowJob.Kernel narrowRow) {
        Entry {
            if (layout != null && layout.type() != type) throw new IllegalArgumentException(type + ": layout of " + layout.type());
        }

        /** One token against int8 activations, from the packed copy; null without a layout. */
        Supplier<Int8Job> packedRow() { return layout == null ? null : layout::newJob; }

        /** Several tokens (a batched decode step) against int8 activations, from the packed copy; null where the layout has none. */
        Supplier<Int8Job> packedTokens() { return layout == null || layout.newTokensJob() == null ? null : layout::newTokensJob; }
    }

    private static final Map<GgmlType, Entry> ENTRIES = entries(
            new Entry(GgmlType.F32, F32Dot.Job::new, null, null, null),
            new Entry(GgmlType.F16, F16Dot.Job::new, null, null, null),
            new Entry(GgmlType.BF16, Bf16Dot.Job::new, null, null, null),
            new Entry(GgmlType.Q8_0, Q8Dot.Job::new, Q8IntDot.Job::new, null, Q8NarrowDot::dot),
            new Entry(GgmlType.Q4_0, Q4Dot.Job::new, Q4IntDot.Job::new, Q4Interleaved.LAYOUT, Q4NarrowDot::dot),
            new Entry(GgmlType.Q4_K, Q4KDot.Job::new, null, Q4KPacked.LAYOUT, Q4KNarrowDot::dot),
            new Entry(GgmlType.Q5_K, null, null, Q5KPacked.LAYOUT, Q5KNarrowDot::dot),
            new Entry(GgmlType.Q3_K, null, null, Q3KPacked.LAYOUT, Q3KNarrowDot::dot),
            new Entry(GgmlType.Q2_K, null, null, Q2KPacked.LAYOUT, Q2KNarrowDot::dot),
            new Entry(GgmlType.IQ4_XS, null, null, IQ4XSPacked.LAYOUT, IQ4NarrowDot::dotXs),
            new Entry(GgmlType.Q4_1, null, null, Q32Packed.Q4_1, Q32NarrowDot::dotQ4_1),
            new Entry(GgmlType.Q5_0, null, null, Q32Packed.Q5_0, Q32NarrowDot::dotQ5_0),
            new Entry(GgmlType.Q5_1, null, null, Q32Packed.Q5_1, Q32NarrowDot::dotQ5_1),
            new Entry(GgmlType.IQ4_NL, null, null, Q32Packed.IQ4_NL, IQ4NarrowDot::dotNl),
            new Entry(GgmlType.Q6_K, Q6KDot.Job::new, null, Q6KPacked.LAYOUT, Q6KNarrowDot::dot));

    private static Map<GgmlType, Entry> entries(Entry... list) {
        Map<GgmlType, Entry> m = new EnumMap<>(GgmlType.class);
        for (Entry e : list) if (m.put(e.type(), e) != null) throw new IllegalArgumentException("two entries for " + e.type());
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The entry of {@code type}, or null when only its codec can decode it. */
    static Entry of(GgmlType type) { return ENTRIES.get(type); }

    /** The packed layout of {@code type}, or null. */
    static PackedLayout layout(GgmlType type) {
        Entry e = ENTRIES.get(type);
        return e == null ? null : e.layout();
    }

    /**
     * One product's jobs, one object per listed type and kind (jobs keep per-call state, so each {@link MatMul} slot
     * has its own); the int8 ones read {@code acts}.
     */
    static final class Jobs {
        private final Map<GgmlType, RowJob> floatRows = new EnumMap<>(GgmlType.class);
        private final Map<GgmlType, Int8Job> int8Row = new EnumMap<>(GgmlType.class), packedRow = new EnumMap<>(GgmlType.class),
                packedTokens = new EnumMap<>(GgmlType.class), narrowRow = new EnumMap<>(GgmlType.class);

        Jobs(Int8Activations acts) {
            for (Entry e : ENTRIES.values()) {
                if (e.floatRows() != null) floatRows.put(e.type(), e.floatRows().get());
                if (e.int8Row() != null) int8Row.put(e.type(), withActs(e.int8Row().get(), acts));
                if (e.packedRow() != null) packedRow.put(e.type(), withActs(e.packedRow().get(), acts));
                if (e.packedTokens() != null) packedTokens.put(e.type(), withActs(e.packedTokens().get(), acts));
                if (e.narrowRow() != null) narrowRow.put(e.type(), withActs(new NarrowJob(e.narrowRow()), acts));
            }
        }

        private static Int8Job withActs(Int8Job j, Int8Activations acts) {
            j.acts = acts;
            return j;
        }

        /** The float row kernel of {@code type}, or null. */
        RowJob floatRows(GgmlType type) { return floatRows.get(type); }

        /** The GGUF-layout int8 one-token kernel of {@code type}, or null. */
        Int8Job int8Row(GgmlType type) { return int8Row.get(type); }

        /** The packed-layout one-token kernel of {@code type}, or null. */
        Int8Job packedRow(GgmlType type) { return packedRow.get(type); }

        /** The packed-layout kernel of several tokens of {@code type}, or null. */
        Int8Job packedTokens(GgmlType type) { return packedTokens.get(type); }

        /** The 256-bit int8 kernel of {@code type} over the GGUF rows, or null. */
        Int8Job narrowRow(GgmlType type) { return narrowRow.get(type); }
    }
}
