package dev.vera4j.vera;

/**
 * PyTorch's CPU random generator ({@code torch.Generator()}), bit for bit: the MT19937 engine of
 * {@code at::mt19937} (ATen/core/MT19937RNGEngine.h) behind {@code CPUGeneratorImpl}.
 *
 * <p>Seeding follows {@code manual_seed(seed)}: the 64-bit seed (negative Python ints are reinterpreted as two's
 * complement) is truncated to its low 32 bits and expanded with Knuth's multiplier 1812433253, exactly as the
 * reference MT19937 {@code init_genrand}. Each float32 that PyTorch draws on the CPU consumes one 32-bit output,
 * keeps its low 24 bits and scales them by 2^-24 ({@code transformation::uniform_real}).
 *
 * <pre>{@code
 * var g = new TorchGenerator(0);     // torch.Generator().manual_seed(0)
 * float u = g.nextUniformFloat();    // torch.rand(1, generator=g) -> 0.49625659
 * }</pre>
 *
 * <p>Not thread-safe: one instance per stream, like {@code torch.Generator}.
 */
public final class TorchGenerator {
    private static final int N = 624;
    private static final int M = 397;
    private static final int MATRIX_A = 0x9908b0df;
    private static final int UPPER_MASK = 0x80000000;
    private static final int LOWER_MASK = 0x7fffffff;
    /** 2^-24: float32 has 24 significand bits, so {@code (w & 0xFFFFFF) * 2^-24} is exact and lies in [0, 1). */
    private static final float TWO_POW_MINUS_24 = 0x1.0p-24f;

    private final int[] state = new int[N];
    private int next;

    /** Equivalent of {@code torch.Generator().manual_seed(seed)}. */
    public TorchGenerator(long seed) {
        state[0] = (int) seed; // at::mt19937 keeps seed & 0xffffffff
        for (int j = 1; j < N; j++) {
            int prev = state[j - 1];
            state[j] = 1812433253 * (prev ^ (prev >>> 30)) + j;
        }
        next = N; // the first draw regenerates the whole block, as at::mt19937 does (left_ = 1)
    }

    /** The next raw 32-bit output of the engine ({@code CPUGeneratorImpl::random()}), as an unsigned value in an int. */
    public int nextInt32() {
        if (next >= N) {
            twist();
        }
        int y = state[next++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /** A float in [0, 1) as {@code torch.rand} draws it: the low 24 bits of one 32-bit output times 2^-24. */
    public float nextUniformFloat() {
        return (nextInt32() & 0xFFFFFF) * TWO_POW_MINUS_24;
    }

    private void twist() {
        for (int k = 0; k < N; k++) {
            int y = (state[k] & UPPER_MASK) | (state[(k + 1) % N] & LOWER_MASK);
            int mag = (y & 1) == 0 ? 0 : MATRIX_A;
            state[k] = state[(k + M) % N] ^ (y >>> 1) ^ mag;
        }
        next = 0;
    }
}
