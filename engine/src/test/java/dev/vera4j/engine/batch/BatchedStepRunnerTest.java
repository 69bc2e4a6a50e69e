package dev.vera4j.engine.batch;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.ModelAdapter;
import dev.vera4j.engine.api.Session;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.ReferenceData;
import dev.vera4j.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The batched runner on stories260K: chunked prefills and decodes of several sequences at different positions, each
 * with its own adapter, run as one backend step and give each sequence the logits its own {@link Session} gives on the
 * same tokens, within the tolerance of the products' rounding; work beyond the scratch runs as several steps; a decode
 * step allocates nothing.
 *
 * <p>Tolerances on logits (magnitude 10 to 20) are the backend's ({@code MultiSequenceStepTest}): F32 weights 2e-4
 * with an F32 cache (summation order), 1e-2 with an F16 cache (a key or value may round to the neighbouring half);
 * Q8_0 weights 0.3 (a one-token product quantizes its input to int8, a product of several tokens reads floats).
 */
class BatchedStepRunnerTest {
    /**
     * An adapter whose hooks add {@code scale · x[(r·7) mod in]} to row {@code r} at one site, and note the batch row
     * of their sequence's first token at layer 0's q projection: rows after the first show that other sequences' tokens
     * came before it in the same backend step.
     */
    record Shift(LinearSite at, float scale, List<Integer> firstRows) implements ModelAdapter {
        Shift(LinearSite at, float scale) { this(at, scale, new ArrayList<>()); }

        @Override public String name() { return "shift " + at + " by " + scale; }

        @Override
        public LinearHook newHook(Path modelPath, int maxTokens) {
            return (site, x, xOff, y, yOff, n, in, out) -> {
                if (n > maxTokens) throw new IllegalArgumentException(n + " rows for a hook sized for " + maxTokens);
                if (site.layer() == 0 && site.kind() == LinearSite.Kind.Q) firstRows.add(xOff / in);
                if (!site.equals(at)) return;
                for (int t = 0; t < n; t++) for (int r = 0; r < out; r++) y[yOff + t * out + r] += scale * x[xOff + t * in + (r * 7) % in];
            };
        }

        /** The same update, noting its rows elsewhere: for the reference session. */
        Shift twin() { return new Shift(at, scale); }
    }

    /** One sequence of the test: its tokens, the step it starts at, its adapter. */
    record Stream(int[] tokens, int promptLength, int startStep, Shift adapter) {}

    static int[] ids(int n, int seed) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = 1 + (i * 37 + seed * 101) % 511;
        return a;
    }

    static List<Stream> streams() {
        return List.of(
                new Stream(ids(30, 1), 20, 0, new Shift(new LinearSite(1, LinearSite.Kind.Q), 0.3f)),       // a prompt of five chunks
                new Stream(ids(12, 2), 3, 1, new Shift(new LinearSite(3, LinearSite.Kind.DOWN), -0.2f)),    // a short prompt
                new Stream(ids(20, 3), 13, 2, new Shift(LinearSite.output(), 0.1f)),                        // four chunks beside decodes
                new Stream(ids(8, 4), 1, 4, null));                                                         // one token, no adapter
    }

    @ParameterizedTest(name = "{0} weights, {1} cache")
    @CsvSource({"F32, F32, 2e-4", "F32, F16, 1e-2", "Q8_0, F32, 0.3"})
    void chunkedPrefillsAndDecodesInOneStepGiveEachSequenceItsOwnLogits(String weights, KvType kv, float tolerance,
                                                                       @TempDir Path dir) throws Exception {
        Path file = weights.equals("F32") ? ReferenceData.stories()
                : ReferenceData.quantizedStories(GgmlType.valueOf(weights), dir.resolve(weights + ".gguf"));
        int chunk = 4;
        try (Model model = Model.load(file, 2)) {
            int vocab = model.config().vocabSize();
            StepRunner runner = StepRunner.batched(model, BatchConfig.defaults(64).withParallel(4).withPrefillChunk(chunk).withKvType(kv));
            List<Stream> streams = streams();
            List<StepRunner.Sequence> sequences = new ArrayList<>();
            List<Session> alone = new ArrayList<>();
            for (Stream s : streams) {
                StepRunner.Sequence seq = runner.newSequence(64);
                seq.adapter(s.adapter());
                sequences.add(seq);
                Session session = model.newSession(64, kv, chunk);
                if (s.adapter() != null) session.addHook(s.adapter().twin().newHook(model.path(), chunk));
                alone.add(session);
            }
            int[] fed = new int[streams.size()];
            int mixedSteps = 0;
            double worst = 0;
            for (int step = 0; step < 16; step++) {
                // as the scheduler plans a step: a token of every decoding sequence, then prompt chunks of at most
                // one chunk's worth of tokens in all
                List<SequenceWork> work = new ArrayList<>();
                List<Integer> who = new ArrayList<>();
                int prompt = 0;
                for (int i = 0; i < streams.size(); i++) {
                    Stream s = streams.get(i);
                    if (step < s.startStep() || fed[i] == s.tokens().length) continue;
                    int n = fed[i] < s.promptLength() ? Math.min(chunk, s.promptLength() - fed[i]) : 1;
                    if (fed[i] < s.promptLength() && prompt > 0 && prompt + n > chunk) continue;
                    if (fed[i] < s.promptLength()) prompt += n;
                    work.add(new SequenceWork(sequences.get(i), s.tokens(), fed[i], n));
                    who.add(i);
                }
                for (int i : who) if (streams.get(i).adapter() != null) streams.get(i).adapter().firstRows().clear();
                runner.step(work);
                boolean prefill = false, decode = false;
                int row = 0;
                for (int k = 0; k < work.size(); k++) {
                    int i = who.get(k);
                    SequenceWork w = work.get(k);
                    prefill |= fed[i] < streams.get(i).promptLength();
                    decode |= fed[i] >= streams.get(i).promptLength();
                    Shift a = streams.get(i).adapter();
                    if (a != null) assertEquals(List.of(row), a.firstRows(), "step " + step + ": sequence " + i + "'s rows in the one backend step");
                    row += w.count();
                    float[] expected = alone.get(i).ingest(w.tokens(), w.offset(), w.count());
                    float[] actual = sequences.get(i).logits();
                    for (int v = 0; v < vocab; v++) {
                        assertEquals(expected[v], actual[v], tolerance, "step " + step + ", sequence " + i + ", logit " + v);
                        worst = Math.max(worst, Math.abs(expected[v] - actual[v]));
                    }
                    fed[i] += w.count();
                    assertEquals(fed[i], sequences.get(i).position());
                }
                if (prefill && decode) mixedSteps++;
            }
            assertTrue(mixedSteps >= 4, "steps with prompt chunks and decodes together: " + mixedSteps);
            System.out.printf("%s weights, %s cache: largest logit difference %.2g (tolerance %.2g)%n", weights, kv, worst, tolerance);
        }
    }

    @Test
    void workBeyondTheScratchRunsAsSeveralStepsWithTheSameResults() {
        int chunk = 8;
        try (Model model = Model.load(ReferenceData.stories(), 2)) {
            // scratch for 3 + 8 tokens; three chunks of 8 make three backend steps
            StepRunner runner = StepRunner.batched(model, BatchConfig.defaults(32).withParallel(3).withPrefillChunk(chunk).withKvType(KvType.F32));
            List<Shift> adapters = new ArrayList<>();
            List<SequenceWork> work = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                StepRunner.Sequence s = runner.newSequence(32);
                adapters.add(new Shift(new LinearSite(i, LinearSite.Kind.UP), 0.2f * (i + 1)));
                s.adapter(adapters.get(i));
                work.add(new SequenceWork(s, ids(chunk, 10 + i), 0, chunk));
            }
            runner.step(work);
            for (int i = 0; i < 3; i++) {
                assertEquals(List.of(0), adapters.get(i).firstRows(), "each chunk alone in its backend step");
                Session session = model.newSession(32, KvType.F32, chunk);
                session.addHook(adapters.get(i).twin().newHook(model.path(), chunk));
                float[] expected = session.ingest(work.get(i).tokens());
                assertArrayEquals(expected, work.get(i).sequence().logits(), 2e-4f, "sequence " + i);
            }
        }
    }

    @Test
    void adaptersAreReplacedAndRemoved() {
        try (Model model = Model.load(ReferenceData.stories(), 2)) {
            StepRunner runner = StepRunner.batched(model, BatchConfig.defaults(16).withParallel(1).withKvType(KvType.F32));
            StepRunner.Sequence s = runner.newSequence(16);
            int[] prompt = ids(5, 1);
            Shift first = new Shift(new LinearSite(2, LinearSite.Kind.V), 0.5f), second = new Shift(new LinearSite(2, LinearSite.Kind.V), -0.5f);
            float[][] logits = new float[3][];
            ModelAdapter[] adapters = {first, second, null};
            for (int k = 0; k < 3; k++) {
                s.reset();
                s.adapter(adapters[k]);
                runner.step(List.of(new SequenceWork(s, prompt, 0, prompt.length)));
                logits[k] = s.logits().clone();
            }
            assertEquals(1, first.firstRows().size(), "the first adapter's hook ran in its step only");
            assertEquals(1, second.firstRows().size(), "the second adapter's hook ran in its step only");
            float[] plain = model.newSession(16, KvType.F32, 128).ingest(prompt);
            assertArrayEquals(plain, logits[2], 2e-4f, "without an adapter: the model's own logits");
            assertFalse(java.util.Arrays.equals(logits[0], logits[1]), "the adapters change the logits");
        }
    }

    @Test
    void limitsAreOneLineErrors() {
        try (Model model = Model.load(ReferenceData.stories(), 1)) {
            StepRunner runner = StepRunner.batched(model, BatchConfig.defaults(16).withParallel(1).withPrefillChunk(4));
            assertThrows(IllegalArgumentException.class, () -> runner.newSequence(17));
            StepRunner.Sequence s = runner.newSequence(16);
            IllegalStateException full = assertThrows(IllegalStateException.class, () -> runner.newSequence(16));
            assertTrue(full.getMessage().contains("1 sequences"), full.getMessage());
            assertThrows(IllegalStateException.class, s::logits, "no step yet");
            IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                    () -> runner.step(List.of(new SequenceWork(s, ids(5, 1), 0, 5))));
            assertTrue(big.getMessage().contains("at most 4"), big.getMessage());
            StepRunner other = StepRunner.batched(model, BatchConfig.defaults(16).withParallel(1));
            assertThrows(IllegalArgumentException.class, () -> runner.step(List.of(new SequenceWork(other.newSequence(16), ids(1, 1), 0, 1))));
            assertEquals(0, s.position(), "nothing ran");
        }
    }

    /** Four sequences decoding together, each with an adapter, allocate nothing per step on either thread. */
    @Test
    void aDecodeStepOfSeveralSequencesAllocatesNothing() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.vera4j.simd.MatMul.int8Kernels(), "decoding without allocation is guaranteed with the 512-bit int8 kernels (AVX-512); this CPU runs the float kernels (README, Limitations)");
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Model model = Model.load(ReferenceData.stories(), 2)) {
            StepRunner runner = StepRunner.batched(model, BatchConfig.defaults(512).withParallel(4));
            List<StepRunner.Sequence> seqs = new ArrayList<>();
            int[][] one = new int[4][1];
            List<SequenceWork> decode = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                StepRunner.Sequence s = runner.newSequence(512);
                s.adapter(new Shift(new LinearSite(i, LinearSite.Kind.GATE), 0.1f, new NoList()));
                seqs.add(s);
                decode.add(new SequenceWork(s, one[i], 0, 1));
            }
            long worker = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("vera4j-worker-")).findFirst().orElseThrow().threadId();
            long allocated = -1, workerAllocated = -1;
            // until C2 has compiled the kernels the Vector API and escape analysis still allocate; a real per-step
            // allocation would show in every round
            // until C2 has compiled the kernels: on a loaded machine its queue can take a minute
            for (long until = System.nanoTime() + 120_000_000_000L; (allocated != 0 || workerAllocated != 0) && System.nanoTime() < until; ) {
                for (int i = 0; i < 4; i++) {
                    seqs.get(i).reset();
                    if (i > 0) runner.step(List.of(new SequenceWork(seqs.get(i), ids(i, i), 0, i)));   // different positions
                }
                long workerBefore = threads.getThreadAllocatedBytes(worker);
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int step = 0; step < 100; step++) {
                    for (int i = 0; i < 4; i++) one[i][0] = (step * 37 + i * 11) % 512;
                    runner.step(decode);
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
                workerAllocated = threads.getThreadAllocatedBytes(worker) - workerBefore;
            }
            assertEquals(0, allocated, "bytes allocated by the calling thread in 100 runner steps of 4 decodes in the steady state");
            assertEquals(0, workerAllocated, "bytes allocated by the worker in 100 runner steps of 4 decodes in the steady state");
        }
    }

    /** A list that forgets what is added, so that noting rows allocates nothing. */
    private static final class NoList extends java.util.AbstractList<Integer> {
        @Override public boolean add(Integer i) { return true; }
        @Override public Integer get(int index) { throw new IndexOutOfBoundsException(index); }
        @Override public int size() { return 0; }
    }
}
