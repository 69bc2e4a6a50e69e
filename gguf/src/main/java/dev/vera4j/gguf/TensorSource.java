package dev.vera4j.gguf;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * Produces one tensor's bytes for {@link GgufWriter}, streaming them into the output so that no whole tensor has to
 * be held on the heap. It must write exactly {@code type.bytesFor(elements)} bytes; the writer checks the count.
 *
 * <pre>{@code
 * TensorSource zeros = out -> {
 *     ByteBuffer chunk = ByteBuffer.allocate(4096);          // 1024 F32 zeros
 *     for (int i = 0; i < 16; i++) { chunk.clear(); while (chunk.hasRemaining()) out.write(chunk); }
 * };
 * writer.addTensor("bias", GgmlType.F32, new long[]{16 * 1024}, zeros);
 * }</pre>
 */
@FunctionalInterface
public interface TensorSource {
    /** Writes the tensor's bytes to {@code out}; must not close it. */
    void writeTo(WritableByteChannel out) throws IOException;
}
