package dev.vera4j.simd;

/**
 * Every {@code -Dvera4j.*} switch of the kernels, in one place. They exist for A/B measurements and for working around
 * a problem on unusual hardware; the defaults are what vera4j runs. Each is read once, when its class loads.
 *
 * <table>
 * <caption>Kernel switches</caption>
 * <tr><th>property</th><th>default</th><th>effect</th></tr>
 * <tr><td>{@code vera4j.scalar}</td><td>false</td><td>no Vector API kernels: every product dequantizes rows in
 *     scalar code ({@link #SCALAR})</td></tr>
 * <tr><td>{@code vera4j.noint8}</td><td>false</td><td>one-token products multiply float activations instead of
 *     int8-quantized ones ({@link #NO_INT8})</td></tr>
 * <tr><td>{@code vera4j.pack}</td><td>true</td><td>weights of the types with a {@link PackedLayout} get a packed copy
 *     at load time ({@link #PACK})</td></tr>
 * <tr><td>{@code vera4j.q8single}</td><td>false</td><td>Q8_0 one-token rows one at a time instead of in far-apart
 *     pairs ({@link #Q8_SINGLE})</td></tr>
 * <tr><td>{@code vera4j.guided}</td><td>true</td><td>the worker pool's chunks shrink as a range is used up, else
 *     equal chunks ({@link #GUIDED})</td></tr>
 * <tr><td>{@code vera4j.panelMinTokens}</td><td>8</td><td>products of this many tokens or more go through the panel
 *     GEMM ({@link #PANEL_MIN_TOKENS})</td></tr>
 * <tr><td>{@code vera4j.int8MaxTokens}</td><td>10</td><td>products of two to this many tokens over the regrouped
 *     Q4_0 copy take its int8 kernel for several tokens, which costs each token about what one token alone costs;
 *     more tokens go through the panel GEMM, which decodes the weights to floats once per product. Measured over the
 *     1B model's Q4_0 matrices, hot: even at 8 tokens, the int8 kernel ahead at 10 (92–96 against 101 ms), the panel
 *     at 12 (95–96 against 108–112) and 16 (111–114 against 142). A short prompt also runs the kernel that the first
 *     decoded token has already compiled, where the panel's code would still be cold (a one-shot {@code generate}'s
 *     9-token prompt: 0.4 s against 1.0–1.1 s with the panel). The Q4_K, Q5_K, Q6_K and IQ4_XS copies, whose kernels
 *     unpack a super-block once for up to four tokens, take the same limit in products over several sequences (1B
 *     Q4_K_M file, their matrices: the int8 kernels ahead at 8 tokens, level at 10, behind at 12; IQ4_XS ahead at 8
 *     and 10); one sequence's prompt keeps {@link #RUN_INT8_MAX_TOKENS} ({@link MatMul#severalSequences})
 *     ({@link #INT8_MAX_TOKENS}; 1: none do)</td></tr>
 * <tr><td>{@code vera4j.runInt8MaxTokens}</td><td>7</td><td>the same for the other copies in runs of 256 values
 *     (Q3_K, Q2_K, Q4_1, Q5_0, Q5_1, IQ4_NL), whose int8 kernels cost more per token than Q4_0's (crossover
 *     7–8 tokens, Q3_K's too although its kernel unpacks a super-block once for up to four tokens; {@link
 *     #RUN_INT8_MAX_TOKENS})</td></tr>
 * <tr><td>{@code vera4j.narrowMaxTokens}</td><td>3</td><td>where the CPU has 256-bit vectors only (AVX2), products
 *     of up to this many tokens take the 256-bit int8 one-token kernels token by token; from four tokens on the float
 *     row kernels, which decode a row once for four tokens, are faster ({@link #NARROW_MAX_TOKENS}; 1: one token only)</td></tr>
 * <tr><td>{@code vera4j.panelFloats}</td><td>131072</td><td>floats in the panel GEMM's decoded panel
 *     ({@link #PANEL_FLOATS})</td></tr>
 * </table>
 *
 * <pre>
 * java -Dvera4j.pack=false -jar vera4j.jar bench -m model.gguf   # measure without packed copies
 * </pre>
 */
public final class Tuning {
    private Tuning() {}

    public static final boolean SCALAR = Boolean.getBoolean("vera4j.scalar");
    public static final boolean NO_INT8 = Boolean.getBoolean("vera4j.noint8");
    public static final boolean PACK = Boolean.parseBoolean(System.getProperty("vera4j.pack", "true"));
    public static final boolean Q8_SINGLE = Boolean.getBoolean("vera4j.q8single");
    public static final boolean GUIDED = Boolean.parseBoolean(System.getProperty("vera4j.guided", "true"));
    public static final int PANEL_MIN_TOKENS = Integer.getInteger("vera4j.panelMinTokens", 8);
    public static final int INT8_MAX_TOKENS = Integer.getInteger("vera4j.int8MaxTokens", 10);
    public static final int RUN_INT8_MAX_TOKENS = Integer.getInteger("vera4j.runInt8MaxTokens", 7);
    public static final int NARROW_MAX_TOKENS = Integer.getInteger("vera4j.narrowMaxTokens", 3);
    public static final int PANEL_FLOATS = Integer.getInteger("vera4j.panelFloats", 128 * 1024);
}
