package dev.vera4j.vera.train;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Everything needed to continue training bit-identically: the step reached, the trained values (λ's or LoRA's A and B), AdamW's moments and step count,
 * and the data order's state (seed; the order of every step follows from seed and step). {@code signature} describes
 * the run (model, rank, targets, data, batch ...) so that resuming a different run is refused. Written atomically:
 * to a temporary file in the same directory, then renamed over the old checkpoint.
 *
 * <pre>{@code
 * Checkpoint.capture(step, seed, signature, params, opt).write(path);
 * Checkpoint c = Checkpoint.read(path);
 * c.restore(params, opt);
 * }</pre>
 */
public record Checkpoint(long step, long seed, String signature, long optimizerSteps, float[] lambdas, float[] m, float[] v) {
    private static final long MAGIC = 0x5645524134434B31L;   // "VERA4CK1"

    /** The current state of a run that has completed {@code step} optimizer steps. */
    public static Checkpoint capture(long step, long seed, String signature, Trainable params, AdamW opt) {
        float[] flat = new float[opt.firstMoments().length];
        int off = 0;
        for (float[] v : params.values()) {
            System.arraycopy(v, 0, flat, off, v.length);
            off += v.length;
        }
        return new Checkpoint(step, seed, signature, opt.steps(), flat, opt.firstMoments().clone(), opt.secondMoments().clone());
    }

    /**
     * Puts the saved λ's and optimizer state back.
     *
     * @throws IllegalArgumentException if the sizes do not fit the adapter
     */
    public void restore(Trainable params, AdamW opt) {
        if (lambdas.length != params.parameterCount()) {
            throw new IllegalArgumentException("checkpoint holds " + lambdas.length + " values, the adapter has " + params.parameterCount());
        }
        int off = 0;
        for (float[] v : params.values()) {
            System.arraycopy(lambdas, off, v, 0, v.length);
            off += v.length;
        }
        opt.restore(optimizerSteps, m, v);
    }

    /** Writes atomically (temporary file + rename). */
    public void write(Path path) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + lambdas.length * 12);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(MAGIC);
            out.writeLong(step);
            out.writeLong(seed);
            out.writeUTF(signature);
            out.writeLong(optimizerSteps);
            out.writeInt(lambdas.length);
            for (float[] a : new float[][] {lambdas, m, v}) for (float f : a) out.writeInt(Float.floatToRawIntBits(f));
        }
        Path abs = path.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, bytes.toByteArray());
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Reads a checkpoint written by {@link #write}.
     *
     * @throws IllegalArgumentException naming the file if it is not a complete checkpoint
     */
    public static Checkpoint read(Path path) {
        try (InputStream in = Files.newInputStream(path); DataInputStream d = new DataInputStream(in)) {
            if (d.readLong() != MAGIC) throw new IllegalArgumentException(path + ": not a vera4j training checkpoint");
            long step = d.readLong(), seed = d.readLong();
            String sig = d.readUTF();
            long optSteps = d.readLong();
            int n = d.readInt();
            if (n < 1 || n > (1 << 28)) throw new IllegalArgumentException(path + ": corrupt checkpoint (" + n + " values)");
            float[][] arrays = new float[3][n];
            for (float[] a : arrays) for (int i = 0; i < n; i++) a[i] = Float.intBitsToFloat(d.readInt());
            if (in.read() != -1) throw new IllegalArgumentException(path + ": trailing bytes after the checkpoint");
            return new Checkpoint(step, seed, sig, optSteps, arrays[0], arrays[1], arrays[2]);
        } catch (java.io.EOFException e) {
            throw new IllegalArgumentException(path + ": truncated checkpoint", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + path + ": " + e.getMessage(), e);
        }
    }
}
