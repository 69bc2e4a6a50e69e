package dev.vera4j.simd;

/**
 * A row job that reads the activations as int8 blocks ({@link Int8Activations}), quantized once by the calling thread
 * before the rows are split, rather than as floats.
 */
abstract class Int8Job extends RowJob {
    /** The activations of the product; set once by the {@link MatMul} that owns the job. */
    Int8Activations acts;

    /** The copies of the activations it reads ({@link Int8Activations#BLOCKS}, {@link Int8Activations#K_ORDER} ...). */
    abstract int layouts();
}
