package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The int8 kernels in 256-bit vectors ({@link Narrow}, the AVX2 route) against their scalar references on the same
 * quantized activations (integer sums are exact in both, so only the float accumulation differs), on random rows and on
 * rows whose integer sums are the largest the formats allow; and, where the route runs, products that allocate nothing
 * (the 8-lane activation quantizer is checked in {@link Int8KernelsTest}). The 256-bit species run on AVX-512 too, so the
 * comparisons hold on every x86 CPU with vectors.
 */
class NarrowKernelsTest {
    private static float kernel(GgmlType type, MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        return switch (type) {
            case Q8_0 -> Q8NarrowDot.dot(w, off, a, bo, nb);
            case Q4_0 -> Q4NarrowDot.dot(w, off, a, bo, nb);
            case Q4_1 -> Q32NarrowDot.dotQ4_1(w, off, a, bo, nb);
            case Q5_0 -> Q32NarrowDot.dotQ5_0(w, off, a, bo, nb);
            case Q5_1 -> Q32NarrowDot.dotQ5_1(w, off, a, bo, nb);
            case Q2_K -> Q2KNarrowDot.dot(w, off, a, bo, nb);
            case Q3_K -> Q3KNarrowDot.dot(w, off, a, bo, nb);
            case Q4_K -> Q4KNarrowDot.dot(w, off, a, bo, nb);
            case Q5_K -> Q5KNarrowDot.dot(w, off, a, bo, nb);
            case Q6_K -> Q6KNarrowDot.dot(w, off, a, bo, nb);
            case IQ4_XS -> IQ4NarrowDot.dotXs(w, off, a, bo, nb);
            case IQ4_NL -> IQ4NarrowDot.dotNl(w, off, a, bo, nb);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    private static double reference(GgmlType type, MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        return switch (type) {
            case Q8_0 -> Q8IntDot.dotReference(w, off, a.q, a.d, bo, nb);
            case Q4_0 -> Q4IntDot.dotReference(w, off, a.q, a.d, bo, nb);
            case Q4_1, Q5_0, Q5_1 -> Q32NarrowDot.dotReference(type.typeSize(), w, off, a.q, a.d, bo, nb);
            case Q2_K -> Q2KNarrowDot.dotReference(w, off, a.q, a.d, bo, nb);
            case Q3_K -> Q3KNarrowDot.dotReference(w, off, a.q, a.d, bo, nb);
            case Q4_K -> Q4KNarrowDot.dotReference(w, off, a.q, a.d, bo, nb);
            case Q5_K -> Q5KNarrowDot.dotReference(w, off, a.q, a.d, bo, nb);
            case Q6_K -> Q6KNarrowDot.dotReference(w, off, a.q, a.d, bo, nb);
            case IQ4_XS -> IQ4NarrowDot.dotReference(true, w, off, a.q, a.d, bo, nb);
            case IQ4_NL -> IQ4NarrowDot.dotReference(false, w, off, a.q, a.d, bo, nb);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_XS", "IQ4_NL"})
    void kernelMatchesScalarReference(GgmlType type) {
        assumeTrue(Vec.ENABLED, "no vector kernels here");
        Random rnd = new Random(21 + type.ordinal());
        int per = type.blockSize() / 32;   // activation blocks per weight block
        try (Arena arena = Arena.ofShared()) {
            for (int wb : new int[]{1, 2, 3, 8, 17}) {
                int nb = per * wb, cols = 32 * nb;
                Weights w = TestWeights.random(type, 7, cols, rnd, arena);
                float[] x = TestWeights.randomVector(2 * cols, rnd);
                Int8Activations a = new Int8Activations(2 * cols);
                a.quantizeReference(x, 0, 2 * cols);
                for (int r = 0; r < w.rows(); r++) {
                    float[] row = TestWeights.row(w, r);
                    for (int bo : new int[]{0, nb}) {
                        long off = w.rowBytes() * r;
                        double mag = 0, exact = 0;
                        for (int k = 0; k < cols; k++) {
                            mag += Math.abs((double) row[k] * x[bo * 32 + k]);
                            exact += (double) row[k] * x[bo * 32 + k];
                        }
                        double ref = reference(type, w.data(), off, a, bo, nb);
                        String at = type + " blocks=" + wb + " row " + r + " block offset " + bo;
                        assertEquals(ref, kernel(type, w.data(), off, a, bo, nb), 1e-5 * mag + 1e-30, at);
                        // and the reference is the product itself but for the activations' rounding (half a step per value)
                        assertEquals(exact, ref, 0.01 * mag + 1e-30, at + ": reference against the float product");
                    }
                }
            }
        }
    }

    /** The largest integer sums (every quant at its extreme, every activation ±127) must not wrap in the 16-bit lanes. */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_XS", "IQ4_NL"})
    void extremeBlocksDoNotOverflow(GgmlType type) {
        assumeTrue(Vec.ENABLED, "no vector kernels here");
        int nb = 8 * 5, cols = 32 * nb;
        byte[] fill = {(byte) 0xff, 0, (byte) 0x7f, (byte) 0x80};
        try (Arena arena = Arena.ofShared()) {
            Weights w = TestWeights.random(type, 4, cols, new Random(1), arena);
            int[] scales = TestWeights.scaleOffsets(type);
            for (int r = 0; r < 4; r++) {
                for (int b = 0; b < cols / type.blockSize(); b++) {
                    long p = w.rowBytes() * r + (long) type.typeSize() * b;
                    for (int j = 0; j < type.typeSize(); j++) {
                        int at = j;
                        if (Arrays.stream(scales).noneMatch(s -> at == s || at == s + 1)) w.data().set(ValueLayout.JAVA_BYTE, p + j, fill[r]);
                    }
                }
            }
            for (float sign : new float[]{1, -1}) {
                float[] x = new float[cols];
                Arrays.fill(x, sign);
                Int8Activations a = new Int8Activations(cols);
                a.quantizeReference(x, 0, cols);
                for (int r = 0; r < 4; r++) {
                    long off = w.rowBytes() * r;
                    double ref = reference(type, w.data(), off, a, 0, nb);
                    assertEquals(ref, kernel(type, w.data(), off, a, 0, nb), 1e-5 * Math.abs(ref) + 1e-6, type + " fill " + fill[r] + " sign " + sign);
                }
            }
        }
    }

    /** Where the route runs, a compiled product allocates nothing (a kernel C2 leaves un-inlined boxes its vectors). */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_XS", "IQ4_NL"})
    void decodeAllocatesNothing(GgmlType type) {
        assumeTrue(Narrow.ENABLED, "the 256-bit int8 route runs on CPUs with 256-bit vectors only (AVX2)");
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(1)) {
            Weights w = TestWeights.random(type, 16, 1024, rnd, arena);
            int n = Tuning.NARROW_MAX_TOKENS;   // one token, and the most a product takes token by token
            assertEquals(32, MatMul.int8Block(w, 1));
            assertEquals(32, MatMul.int8Block(w, n));
            MatMul mm = new MatMul(pool, 1024, n);
            float[] x = TestWeights.randomVector(1024 * n, rnd), y = new float[16 * n];
            Runnable products = () -> {
                for (int i = 0; i < 1000; i++) {
                    mm.matVec(w, x, y);
                    mm.matMul(w, x, y, n);
                }
            };
            long allocated = -1, deadline = System.nanoTime() + 120_000_000_000L;
            while (allocated != 0 && System.nanoTime() < deadline) {   // C2 comes late on a loaded machine
                long before = threads.getCurrentThreadAllocatedBytes();
                products.run();
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, allocated, () -> "bytes allocated by 2000 " + type + " products in the steady state, at " + AllocationSites.of(products));
        }
    }

    /**
     * The helpers that take or return vectors fit C2's size for inlining at any call site that is not rare (35 bytes,
     * {@code -XX:MaxInlineSize}); a larger one is inlined only where the profile calls the call site hot, which
     * depends on what ran before, and out of line it boxes every vector it passes.
     */
    @Test
    void vectorHelpersFitTheInliningSize() throws Exception {
        for (Class<?> c : new Class<?>[] {Narrow.class, Int8.class}) {
            byte[] bytes;
            try (var in = c.getResourceAsStream(c.getSimpleName() + ".class")) { bytes = in.readAllBytes(); }
            ClassModel model = ClassFile.of().parse(bytes);
            for (MethodModel m : model.methods()) {
                String type = m.methodType().stringValue();
                if (!type.contains("jdk/incubator/vector/") || m.methodName().stringValue().startsWith("<")) continue;
                int size = m.findAttribute(Attributes.code()).orElseThrow().codeLength();
                assertTrue(size <= 35, c.getSimpleName() + "." + m.methodName() + " is " + size + " bytes of bytecode");
            }
        }
    }

    /**
     * The methods of ours that the kernels call call no method of ours in turn (apart from the vector helpers, held to
     * 35 bytes above): C2 weighs a nested call by the profile of the method it sits in, and the profiles replayed from
     * the CLI's AOT cache once made it refuse {@code Q4KDot.scales}'s own helpers, a call per super-block that cost a
     * quarter of a Q4_K_M decode.
     */
    @Test
    void scalarHelpersOfTheKernelsAreLeaves() throws Exception {
        Class<?>[] kernels = {Q4NarrowDot.class, Q8NarrowDot.class, Q32NarrowDot.class, Q2KNarrowDot.class, Q3KNarrowDot.class, Q4KNarrowDot.class, Q5KNarrowDot.class, Q6KNarrowDot.class, IQ4NarrowDot.class};
        java.util.List<String> offenders = new java.util.ArrayList<>();
        for (Class<?> k : kernels) {
            for (MethodModel m : classModel(k).methods()) {
                var code = m.findAttribute(Attributes.code()).orElse(null);
                if (code == null) continue;
                for (var e : code.elementList()) {
                    if (!(e instanceof InvokeInstruction call) || !call.owner().asInternalName().startsWith("dev/vera4j/")) continue;
                    String type = call.typeSymbol().descriptorString();
                    if (type.contains("jdk/incubator/vector/") || call.name().stringValue().startsWith("<")) continue;
                    Class<?> owner = Class.forName(call.owner().asInternalName().replace('/', '.'));
                    for (MethodModel callee : classModel(owner).methods()) {
                        if (!callee.methodName().equalsString(call.name().stringValue()) || !callee.methodType().equalsString(type)) continue;
                        var calleeCode = callee.findAttribute(Attributes.code()).orElse(null);
                        if (calleeCode == null) continue;
                        for (var f : calleeCode.elementList()) {
                            if (f instanceof InvokeInstruction inner && inner.owner().asInternalName().startsWith("dev/vera4j/")) {
                                offenders.add(k.getSimpleName() + "." + m.methodName() + " -> " + owner.getSimpleName() + "." + call.name() + " -> " + inner.name());
                            }
                        }
                    }
                }
            }
        }
        assertTrue(offenders.isEmpty(), "helpers that call methods of ours: " + offenders);
    }

    private static ClassModel classModel(Class<?> c) throws java.io.IOException {
        try (var in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
            return ClassFile.of().parse(in.readAllBytes());
        }
    }
}
