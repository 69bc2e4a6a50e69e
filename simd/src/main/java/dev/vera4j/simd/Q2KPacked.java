package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.vera4j.simd.RunLayout.bits;
import static dev.vera4j.simd.RunLayout.put;
import static dev.vera4j.simd.Vec.LE;

/**
 * One-token products of Q2_K rows, packed as a plane of 2-bit quants in {@link KOrder}. GGUF Q2_K: 16 bytes of 4-bit
 * scales (low nibble) and mins (high nibble), 64 bytes of quants, fp16 {@code d} and {@code dmin}; value
 * {@code = d·sc[j]·q − dmin·m[j]} for sub-block {@code j} of 16 values. Packed, per super-block:
 * <pre>
 *   bytes   0 ..  63   the quants: bits 2t, 2t+1 of short l for KOrder position (t, l)
 *   bytes  64 ..  83   the scales, d and dmin, unchanged (byte j is sub-block j's, so int lane j reads it directly)
 * </pre>
 */
final class Q2KPacked {
    private Q2KPacked() {}

    static final int BYTES = 84;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    static final RunLayout LAYOUT = new Layout();

    /** Fields: the 256 quants (0..3), the 16 scale bytes and the 4 bytes of d and dmin. */
    private static final class Layout extends RunLayout {
        Layout() { super(GgmlType.Q2_K); }

        @Override
        int fieldCount() { return 256 + 16 + 4; }

        @Override
        void readGguf(byte[] r, int[] f) {
            for (int v = 0; v < 256; v++) f[v] = bits(r, 16 + 32 * (v / 128) + v % 32, 2 * (v % 128 / 32), 2);
            for (int j = 0; j < 16; j++) f[256 + j] = r[j] & 0xff;
            for (int i = 0; i < 4; i++) f[272 + i] = r[80 + i] & 0xff;
        }

        @Override
        void writeGguf(int[] f, byte[] r) {
            for (int v = 0; v < 256; v++) put(r, 16 + 32 * (v / 128) + v % 32, 2 * (v % 128 / 32), 2, f[v]);
            for (int j = 0; j < 16; j++) r[j] = (byte) f[256 + j];
            for (int i = 0; i < 4; i++) r[80 + i] = (byte) f[272 + i];
        }

        @Override
        void readPacked(byte[] r, int[] f) {
            for (int pos = 0; pos < 256; pos++) f[KOrder.SOURCE[pos]] = bits(r, pairByte(pos), pairShift(pos), 2);
            for (int j = 0; j < 16; j++) f[256 + j] = r[64 + j] & 0xff;
            for (int i = 0; i < 4; i++) f[272 + i] = r[80 + i] & 0xff;
        }

        @Override
        void writePacked(int[] f, byte[] r) {
            for (int pos = 0; pos < 256; pos++) put(r, pairByte(pos), pairShift(pos), 2, f[KOrder.SOURCE[pos]]);
            for (int j = 0; j < 16; j++) r[64 + j] = (byte) f[256 + j];
            for (int i = 0; i < 4; i++) r[80 + i] = (byte) f[272 + i];
        }

        @Override
        void decodeRuns(MemorySegment packed, long off, int runs, float[] out, int o) { decode(packed, off, runs, out, o); }

        @Override
        float dot(MemorySegment packed, long off, Int8Activations a, int ro, int runs) { return Q2KPacked.dot(packed, off, a, ro, runs); }

        /** {@code d·Σ_j sc[j]·Σ q·x − dmin·Σ_j m[j]·Σ x}. */
        @Override
        double runDot(int[] f, int[] x, boolean magnitude) {
            long qsum = 0, msum = 0;
            for (int v = 0; v < 256; v++) {
                int sm = f[256 + v / 16];
                long q = (long) (sm & 15) * f[v] * x[v], m = (long) (sm >> 4) * x[v];
                qsum += magnitude ? Math.abs(q) : q;
                msum += magnitude ? Math.abs(m) : m;
            }
            double d = RunLayout.half(f, 272), dmin = RunLayout.half(f, 274);
            return magnitude ? Math.abs(d) * qsum + Math.abs(dmin) * msum : d * qsum - dmin * msum;
        }
    }

    static float dot(MemorySegment w, long off, Int8Activations a, int ro, int runs) {
        short[] xs = a.k;
        float[] xd = a.kd;
        int[] bsum = a.kbsum;
        FloatVector acc = FloatVector.zero(F16);
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int xi = 256 * (ro + s);
            ShortVector q = ShortVector.fromMemorySegment(S32, w, p, LE);
            ShortVector prod = q.and((short) 3).mul(ShortVector.fromArray(S32, xs, xi))
                    .add(q.lanewise(VectorOperators.LSHR, 2).and((short) 3).mul(ShortVector.fromArray(S32, xs, xi + 32)))
                    .add(q.lanewise(VectorOperators.LSHR, 4).and((short) 3).mul(ShortVector.fromArray(S32, xs, xi + 64)))
                    .add(q.lanewise(VectorOperators.LSHR, 6).and((short) 3).mul(ShortVector.fromArray(S32, xs, xi + 96)))
                    .add(q.lanewise(VectorOperators.LSHR, 8).and((short) 3).mul(ShortVector.fromArray(S32, xs, xi + 128)))
                    .add(q.lanewise(VectorOperators.LSHR, 10).and((short) 3).mul(ShortVector.fromArray(S32, xs, xi + 160)))
                    .add(q.lanewise(VectorOperators.LSHR, 12).and((short) 3).mul(ShortVector.fromArray(S32, xs, xi + 192)))
                    .add(q.lanewise(VectorOperators.LSHR, 14).mul(ShortVector.fromArray(S32, xs, xi + 224)));
            IntVector u = prod.reinterpretAsInts();
            IntVector sums = u.add(u.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            IntVector sm = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            float dx = xd[ro + s];
            float d = Float.float16ToFloat(w.get(HALF, p + 80)) * dx, dmin = Float.float16ToFloat(w.get(HALF, p + 82)) * dx;
            acc = ((FloatVector) sums.mul(sm.and(15)).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, d), acc);
            acc = ((FloatVector) IntVector.fromArray(I16, bsum, 16 * (ro + s)).mul(sm.lanewise(VectorOperators.LSHR, 4)).convertShape(VectorOperators.I2F, F16, 0))
                    .fma(FloatVector.broadcast(F16, -dmin), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Decodes {@code runs} packed super-blocks into {@code out[o ..]}, each run transposed: pair {@code j} of int lane
     * {@code i} is value {@code 16i + 2(j mod 8) + j div 8} (as in {@link Q3KPacked#decode}).
     */
    static void decode(MemorySegment w, long off, int runs, float[] out, int o) {
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int base = o + 256 * s;
            IntVector q = IntVector.fromMemorySegment(I16, w, p, LE);
            IntVector sm = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            FloatVector scale = ((FloatVector) sm.and(15).convertShape(VectorOperators.I2F, F16, 0)).mul(Float.float16ToFloat(w.get(HALF, p + 80)));
            FloatVector min = ((FloatVector) sm.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F16, 0)).mul(-Float.float16ToFloat(w.get(HALF, p + 82)));
            for (int j = 0; j < 16; j++) {
                ((FloatVector) q.lanewise(VectorOperators.LSHR, 2 * j).and(3).convertShape(VectorOperators.I2F, F16, 0)).fma(scale, min)
                        .intoArray(out, base + 16 * (2 * (j % 8) + j / 8));
            }
        }
    }
}
