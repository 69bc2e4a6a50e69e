import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.simd.MatMul;
import dev.vera4j.simd.Weights;
import dev.vera4j.simd.WorkerPool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * How the segment classes a vector kernel has seen change its compiled speed: one-token products of a GGUF matrix's
 * first 256 rows (blk.0.ffn_gate.weight), measured after the kernel has first run on copies of those rows in another
 * kind of segment. Since {@code Weights} sees mapped rows as plain native memory, {@code native-first} measures what
 * the engine does; {@code heap-first} still shows the cost of a second class (measured before that change: 8.6 µs a
 * product over the mapping alone, 26–28 µs after a heap or native copy, 8.8 µs through a reinterpreted view).
 *
 * <p>Modes: {@code mapped} (no other copy first), {@code heap-first} (a heap copy first), {@code native-first} (a native
 * copy first), {@code native-first-reinterp} (a native copy first, then the rows through an explicit
 * {@code reinterpret}). Build the jars first ({@code mvn -B -DskipTests package}), then:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -cp simd/target/vera4j-simd-0.1.0-SNAPSHOT.jar:gguf/target/vera4j-gguf-0.1.0-SNAPSHOT.jar \
 *     scripts/SegmentClassProfile.java MODEL.gguf native-first
 * </pre>
 */
public class SegmentClassProfile {
    public static void main(String[] a) throws Exception {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (GgufFile f = GgufFile.open(Path.of(a[0])); WorkerPool pool = new WorkerPool(1); Arena arena = Arena.ofShared()) {
            GgufTensor t = f.tensor("blk.0.ffn_gate.weight");
            Weights mapped = Weights.of(t);
            int rows = Math.min(256, mapped.rows());
            Weights mappedFew = new Weights(mapped.data().asSlice(0, rows * mapped.rowBytes()), mapped.type(), rows, mapped.cols());
            byte[] bytes = mappedFew.data().toArray(ValueLayout.JAVA_BYTE);
            Weights heap = new Weights(MemorySegment.ofArray(bytes), mapped.type(), rows, mapped.cols());
            MemorySegment n = arena.allocate(bytes.length, 64);
            n.copyFrom(mappedFew.data());
            Weights nat = new Weights(n, mapped.type(), rows, mapped.cols());
            if (a[1].endsWith("-reinterp")) mappedFew = new Weights(mappedFew.data().reinterpret(mappedFew.data().byteSize()), mapped.type(), rows, mapped.cols());
            System.out.println(a[1] + " measured segment class " + mappedFew.data().getClass().getSimpleName());
            MatMul mm = new MatMul(pool, mapped.cols(), 1);
            float[] x = new float[mapped.cols()], y = new float[rows];
            for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
            if (a[1].equals("heap-first")) for (int i = 0; i < 3000; i++) mm.matVec(heap, x, y);
            if (a[1].startsWith("native-first")) for (int i = 0; i < 3000; i++) mm.matVec(nat, x, y);
            long alloc = -1;
            for (int round = 0; round < 40 && alloc != 0; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 2000; i++) mm.matVec(mappedFew, x, y);
                alloc = threads.getCurrentThreadAllocatedBytes() - before;
                if (round % 5 == 0 || alloc == 0) System.out.println(a[1] + " round " + round + ": " + alloc + " B per 2000 products");
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < 5000; i++) mm.matVec(mappedFew, x, y);
            System.out.printf("%s final: %d B, %.1f us per product%n", a[1], alloc, (System.nanoTime() - t0) / 5000 / 1e3);
        }
    }
}
