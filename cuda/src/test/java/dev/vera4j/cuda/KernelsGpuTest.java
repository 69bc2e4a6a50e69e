package dev.vera4j.cuda;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.simd.Activations;
import dev.vera4j.simd.Norms;
import dev.vera4j.simd.Rope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Each kernel against the CPU path's scalar reference on random inputs, extreme scales included: bit for bit where the
 * kernel does the CPU's operations in the CPU's order (decoding, SiLU, the cache's rounding, VeRA's up half, the int8
 * quantization), within float rounding where it sums in an order of its own.
 */
@Tag("gpu")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KernelsGpuTest {
    private CudaDevice gpu;
    private CudaStream stream;
    private CudaKernels k;
    private DeviceArena arena;

    @BeforeAll
    void open() {
        gpu = Gpu.open();
        if (gpu == null) return;
        stream = gpu.newStream();
        k = CudaKernels.load(stream);
    }

    @BeforeEach
    void newArena() {
        Gpu.assume(gpu);
        arena = new DeviceArena(gpu);
    }

    @AfterEach
    void freeArena() { if (arena != null) arena.close(); }

    @AfterAll
    void close() {
        if (gpu == null) return;
        k.close();
        stream.close();
        assertEquals(0, gpu.allocatedBytes(), "device memory left after the tests");
        gpu.close();
    }

    static float[] random(int n, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return v;
    }

    /** {@code values} encoded in {@code type} (rows of {@code cols}). */
    static byte[] encode(GgmlType type, float[] values) {
        byte[] out = new byte[(int) type.bytesFor(values.length)];
        Codecs.of(type).quantize(values, 0, values.length, MemorySegment.ofArray(out), 0);
        return out;
    }

    static float[] decode(GgmlType type, byte[] bytes, int count) {
        float[] out = new float[count];
        Codecs.of(type).dequantizeReference(MemorySegment.ofArray(bytes), 0, out, 0, count);
        return out;
    }

    private DeviceBuffer upload(byte[] bytes) {
        DeviceBuffer b = arena.allocate(bytes.length);
        b.upload(MemorySegment.ofArray(bytes), 0);
        return b;
    }

    private DeviceBuffer upload(float[] values) { return arena.upload(values); }

    private float[] run(DeviceBuffer out, int count) {
        stream.synchronize();
        return out.downloadFloats(0, count);
    }

    static Stream<Arguments> products() {
        List<Arguments> out = new ArrayList<>();
        for (GgmlType t : DeviceTypes.nativeTypes()) {
            for (int n : new int[] {1, 3, 9, 70}) out.add(Arguments.of(t, n, 1.0));
            out.add(Arguments.of(t, 1, 1e-3));
            out.add(Arguments.of(t, 65, 300.0));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}, {1} tokens, scale {2}")
    @MethodSource("products")
    void productsMatchTheDoubleReference(GgmlType type, int n, double scale) {
        int rows = 67, cols = 512;
        byte[] w = encode(type, random(rows * cols, 1 + type.ordinal(), scale));
        float[] dq = decode(type, w, rows * cols), x = random(n * cols, 99, 1 / scale);
        DeviceBuffer W = upload(w), X = upload(x), Y = arena.allocate(4L * n * rows);
        k.product(DeviceMatrix.dense(W.address(), type, rows, cols), X.address(), Y.address(), n);
        float[] y = run(Y, n * rows);
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                double ref = 0, mag = 0;
                for (int c = 0; c < cols; c++) {
                    double p = (double) dq[r * cols + c] * x[t * cols + c];
                    ref += p;
                    mag += Math.abs(p);
                }
                assertEquals(ref, y[t * rows + r], 1e-5 * mag, type + " token " + t + " row " + r);
            }
        }
    }

    @Test
    void aRowStrideWiderThanTheRow() {
        // VeRA's A: each site reads the first `in` columns of rows inMax wide
        int rows = 5, cols = 96, stride = 160;
        float[] a = random(rows * stride, 3, 1), x = random(cols, 4, 1);
        DeviceBuffer A = upload(a), X = upload(x), Y = arena.allocate(4L * rows);
        k.product(new DeviceMatrix(A.address(), GgmlType.F32, rows, cols, 4L * stride), X.address(), Y.address(), 1);
        float[] y = run(Y, rows);
        for (int r = 0; r < rows; r++) {
            double ref = 0;
            for (int c = 0; c < cols; c++) ref += (double) a[r * stride + c] * x[c];
            assertEquals(ref, y[r], 1e-5);
        }
    }

    /** The CPU's Int8Activations.quantizeReference: per 32 values d = max|x|/127, q = trunc(x·127/max ± 0.5). */
    static void quantize(float[] x, byte[] q, float[] d) {
        for (int b = 0; b < x.length / 32; b++) {
            float amax = 0;
            for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[32 * b + i]));
            float inv = amax == 0 ? 0 : 127f / amax;
            for (int i = 0; i < 32; i++) {
                float v = x[32 * b + i] * inv;
                q[32 * b + i] = (byte) (int) (v + (v < 0 ? -0.5f : 0.5f));
            }
            d[b] = amax / 127f;
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0"})
    void int8ProductsQuantizeAsTheCpuDoes(GgmlType type) {
        int rows = 45, cols = 1024, blocks = cols / 32;
        byte[] w = encode(type, random(rows * cols, 7, 0.5));
        float[] x = random(cols, 8, 3);
        for (int i = 64; i < 96; i++) x[i] = 0;                    // a zero block: scale 0
        for (int i = 96; i < 128; i++) x[i] *= 1e-6f;             // and a tiny one
        DeviceBuffer W = upload(w), X = upload(x), Q = arena.allocate(cols), D = arena.allocate(4L * blocks), Y = arena.allocate(4L * rows);
        k.quantizeQ8(X.address(), Q.address(), D.address(), cols);
        DeviceMatrix m = DeviceMatrix.dense(W.address(), type, rows, cols);
        k.productInt8(m, Q.address(), D.address(), Y.address());
        float[] y = run(Y, rows);
        byte[] q = new byte[cols];
        float[] d = new float[blocks];
        quantize(x, q, d);
        byte[] gotQ = new byte[cols];
        Q.download(0, MemorySegment.ofArray(gotQ));
        assertArrayEquals(q, gotQ, "int8 activations");
        assertArrayEquals(d, D.downloadFloats(0, blocks), "activation scales");
        long rowBytes = type.bytesFor(cols), blockBytes = type.typeSize();
        MemorySegment ws = MemorySegment.ofArray(w);
        for (int r = 0; r < rows; r++) {
            double ref = 0, mag = 0;
            for (int b = 0; b < blocks; b++) {
                long o = r * rowBytes + b * blockBytes;
                float dw = Float.float16ToFloat(ws.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, o));
                long sum = 0;
                for (int j = 0; j < 32; j++) {
                    int qw = type == GgmlType.Q8_0 ? ws.get(java.lang.foreign.ValueLayout.JAVA_BYTE, o + 2 + j)
                            : ((ws.get(java.lang.foreign.ValueLayout.JAVA_BYTE, o + 2 + (j & 15)) >> (j < 16 ? 0 : 4)) & 15) - 8;
                    sum += (long) qw * q[32 * b + j];
                }
                ref += (double) dw * d[b] * sum;
                mag += Math.abs((double) dw * d[b] * sum);
            }
            assertEquals(ref, y[r], 1e-6 * mag + 1e-12, type + " row " + r);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void embeddingRowsAreTheCodecsDecoding(GgmlType type) {
        int vocab = 20, dim = 512;
        byte[] table = encode(type, random(vocab * dim, 11, 2));
        float[] all = decode(type, table, vocab * dim);
        int[] tokens = {3, 0, 19, 3};
        DeviceBuffer T = upload(table), ids = arena.allocate(4L * tokens.length), out = arena.allocate(4L * tokens.length * dim);
        ids.upload(MemorySegment.ofArray(tokens), 0);
        k.embed(DeviceMatrix.dense(T.address(), type, vocab, dim), ids.address(), out.address(), tokens.length);
        float[] got = run(out, tokens.length * dim);
        for (int t = 0; t < tokens.length; t++) {
            for (int c = 0; c < dim; c++) assertEquals(all[tokens[t] * dim + c], got[t * dim + c], 0f, type + " token " + t + " value " + c);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 300, 2048})
    void rmsNormMatchesTheReference(int dim) {
        int rows = 5;
        float[] x = random(rows * dim, 12, 4), w = random(dim, 13, 1);
        x[3] = 1e4f;
        DeviceBuffer X = upload(x), W = upload(w), out = arena.allocate(4L * rows * dim);
        k.rmsNorm(X.address(), W.address(), out.address(), rows, dim, 1e-5f);
        float[] got = run(out, rows * dim);
        float[] ref = new float[rows * dim];
        for (int r = 0; r < rows; r++) Norms.rmsNormReference(ref, r * dim, x, r * dim, w, 0, dim, 1e-5f);
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 3e-7 * Math.abs(ref[i]) + 1e-30, "value " + i);
        // in place, as the per-head q/k norms run
        k.rmsNorm(X.address(), W.address(), X.address(), rows, dim, 1e-5f);
        assertArrayEquals(got, run(X, rows * dim));
    }

    @ParameterizedTest
    @EnumSource(Rope.Mode.class)
    void ropeMatchesTheCpuRotation(Rope.Mode mode) {
        int heads = 3, headDim = 64, n = 4, pos0 = 4093;
        for (int pairs : new int[] {32, 16}) {   // whole heads, and a partial rotary width
            float[] divisors = new float[pairs];
            for (int i = 0; i < pairs; i++) divisors[i] = 1 + i % 5;
            float[] inv = Rope.inverseFrequencies(2 * pairs, 500000f, 1f, divisors);
            float[] x = random(n * heads * headDim, 14 + pairs, 2), ref = x.clone(), fast = x.clone();
            DeviceBuffer X = upload(x), I = upload(inv);
            k.rope(X.address(), n, heads, headDim, pairs, pos0, I.address(), mode == Rope.Mode.NEOX);
            float[] got = run(X, x.length);
            Rope rope = new Rope(mode, headDim, inv);
            for (int t = 0; t < n; t++) {
                Rope.applyReference(mode, ref, t * heads * headDim, heads, headDim, pos0 + t, inv);
                rope.position(pos0 + t);
                rope.apply(fast, t * heads * headDim, heads);
            }
            for (int i = 0; i < x.length; i++) {
                assertEquals(ref[i], got[i], 1e-6f * 4, mode + " value " + i);
                assertEquals(fast[i], got[i], Math.ulp(fast[i]) * 2, mode + " value " + i + " against the CPU's float rotation");
            }
        }
    }

    @Test
    void swigluIsTheCpusBits() {
        int n = 1000;
        float[] gate = random(n, 15, 20), up = random(n, 16, 3);
        gate[0] = 0;
        gate[1] = -100;
        gate[2] = 100;
        gate[3] = 1e-20f;
        gate[4] = Float.NaN;
        DeviceBuffer G = upload(gate), U = upload(up);
        k.swiglu(G.address(), U.address(), n);
        float[] got = run(G, n);
        Activations.swiglu(gate, 0, up, 0, n);
        assertArrayEquals(gate, got);
    }

    @Test
    void residualBiasAndCacheStores() {
        int width = 96, n = 3;
        float[] a = random(n * width, 17, 1), b = random(n * width, 18, 1), bias = random(width, 19, 1);
        DeviceBuffer A = upload(a), B = upload(b), C = upload(bias);
        k.add(A.address(), B.address(), n * width);
        k.addBias(B.address(), C.address(), width, n * width);
        float[] sum = run(A, n * width), biased = B.downloadFloats(0, n * width);
        for (int i = 0; i < n * width; i++) {
            assertEquals(a[i] + b[i], sum[i], 0f);
            assertEquals(b[i] + bias[i % width], biased[i], 0f);
        }
        float[] v = random(n * width, 20, 70000);   // beyond F16's range too: infinities
        DeviceBuffer keys = arena.allocate(2L * n * width), values = arena.allocate(2L * n * width), V = upload(v);
        k.kvStore(A.address(), V.address(), keys.address(), values.address(), n * width);
        stream.synchronize();
        short[] kh = keys.downloadShorts(0, n * width), vh = values.downloadShorts(0, n * width);
        for (int i = 0; i < n * width; i++) {
            assertEquals(Float.floatToFloat16(sum[i]), kh[i]);
            assertEquals(Float.floatToFloat16(v[i]), vh[i]);
        }
    }

    @ParameterizedTest(name = "head dim {0}, {1} new tokens after {2}")
    @MethodSource("attentionCases")
    void attentionMatchesTheDoubleReference(int headDim, int n, int pos0) {
        int heads = 4, kvHeads = 2, kvDim = kvHeads * headDim, positions = pos0 + n, qDim = heads * headDim;
        float[] q = random(n * qDim, 21, 1), kf = random(positions * kvDim, 22, 1), vf = random(positions * kvDim, 23, 1);
        short[] kh = new short[kf.length], vh = new short[vf.length];
        for (int i = 0; i < kf.length; i++) {
            kh[i] = Float.floatToFloat16(kf[i]);
            vh[i] = Float.floatToFloat16(vf[i]);
        }
        DeviceBuffer Q = upload(q), K = arena.allocate(2L * kh.length), V = arena.allocate(2L * vh.length), out = arena.allocate(4L * n * qDim);
        K.upload(MemorySegment.ofArray(kh), 0);
        V.upload(MemorySegment.ofArray(vh), 0);
        float scale = (float) (1.0 / Math.sqrt(headDim));
        k.attention(Q.address(), K.address(), V.address(), out.address(), n, heads, kvHeads, headDim, pos0, scale);
        float[] got = run(out, n * qDim);
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < heads; h++) {
                int seen = pos0 + t + 1, kvOff = h / (heads / kvHeads) * headDim;
                double[] s = new double[seen];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int p = 0; p < seen; p++) {
                    for (int i = 0; i < headDim; i++) s[p] += (double) q[t * qDim + h * headDim + i] * Float.float16ToFloat(kh[p * kvDim + kvOff + i]);
                    s[p] *= scale;
                    max = Math.max(max, s[p]);
                }
                for (int p = 0; p < seen; p++) sum += s[p] = Math.exp(s[p] - max);
                for (int i = 0; i < headDim; i++) {
                    double ref = 0;
                    for (int p = 0; p < seen; p++) ref += s[p] / sum * Float.float16ToFloat(vh[p * kvDim + kvOff + i]);
                    assertEquals(ref, got[t * qDim + h * headDim + i], 1e-5, "token " + t + " head " + h + " dim " + i);
                }
            }
        }
    }

    static Stream<Arguments> attentionCases() {
        return Stream.of(Arguments.of(8, 5, 0), Arguments.of(64, 7, 5), Arguments.of(128, 1, 700), Arguments.of(256, 2, 33));
    }

    @Test
    void argmaxTakesTheFirstLargest() {
        int n = 5000;
        float[] v = random(n, 24, 10);
        v[4097] = 11;
        v[17] = 11;
        v[503] = 11;
        DeviceBuffer V = upload(v), out = arena.allocate(4);
        k.argmax(V.address(), n, out.address());
        stream.synchronize();
        assertEquals(17, out.downloadInts(0, 1)[0]);
        float[] w = random(n, 25, 1);
        V.upload(w, 0);
        k.argmax(V.address(), n, out.address());
        stream.synchronize();
        int best = 0;
        for (int i = 1; i < n; i++) if (w[i] > w[best]) best = i;
        assertEquals(best, out.downloadInts(0, 1)[0]);
    }

    @Test
    void veraUpIsTheCpusBits() {
        int out = 300, rank = 16, btStride = 320, n = 3;
        float weight = 0.7f;
        float[] bt = random(rank * btStride, 26, 1), ax = random(n * rank, 27, 2), ld = random(rank, 28, 1),
                lb = random(out, 29, 1), y = random(n * out, 30, 1);
        DeviceBuffer BT = upload(bt), AX = upload(ax), LD = upload(ld), LB = upload(lb), Y = upload(y);
        k.veraUp(BT.address(), btStride, AX.address(), LD.address(), LB.address(), weight, Y.address(), out, rank, n);
        float[] got = run(Y, n * out);
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < out; o++) {
                float z = 0;
                for (int i = 0; i < rank; i++) z = Math.fma(bt[i * btStride + o], ax[t * rank + i] * ld[i], z);
                assertEquals(Math.fma(weight * lb[o], z, y[t * out + o]), got[t * out + o], 0f, "token " + t + " output " + o);
            }
        }
    }
}
