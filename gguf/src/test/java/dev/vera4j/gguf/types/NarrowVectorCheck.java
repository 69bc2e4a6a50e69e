package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * Fast-vs-reference comparison as a program, so that {@link NarrowVectorTest} can run it in a JVM limited to
 * 256-bit vectors (8 float lanes), the shape AVX2 machines use, whatever this machine offers.
 * Prints {@code lanes=N ok} and exits 0, or prints the first mismatch and exits 1.
 */
final class NarrowVectorCheck {
    private NarrowVectorCheck() {}

    public static void main(String[] args) {
        for (GgmlType type : Codecs.supportedTypes()) {
            TensorCodec codec = Codecs.of(type);
            Random random = new Random(1234 + type.id());
            int count = (type.blockSize() == 1 ? 389 : 5 * type.blockSize());
            byte[] raw = new byte[(int) type.bytesFor(count) + 3];
            float[] fast = new float[count + 1];
            float[] reference = new float[count + 1];
            // enough rounds for the JIT to compile the vector loops
            for (int round = 0; round < 1200; round++) {
                if (round % 300 == 0) random.nextBytes(raw);
                MemorySegment src = MemorySegment.ofArray(raw);
                codec.dequantize(src, 3, fast, 1, count);
                if (round % 300 == 299) {
                    codec.dequantizeReference(src, 3, reference, 1, count);
                    for (int i = 0; i < fast.length; i++) {
                        int f = Float.floatToRawIntBits(fast[i]);
                        int r = Float.floatToRawIntBits(reference[i]);
                        boolean nanPayloadOnly = type.isQuantized() && Float.isNaN(fast[i]) && Float.isNaN(reference[i]);
                        if (f != r && !nanPayloadOnly) {
                            System.out.println(type + " lanes=" + Simd.LANES + " value " + i + ": fast "
                                    + Integer.toHexString(f) + " reference " + Integer.toHexString(r));
                            System.exit(1);
                        }
                    }
                }
            }
        }
        System.out.println("lanes=" + Simd.LANES + " ok");
    }
}
