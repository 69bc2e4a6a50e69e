package dev.vera4j.vera.merge;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.AdapterFile;
import dev.vera4j.vera.AdapterWeights;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.Projections;
import dev.vera4j.vera.QkPermutation;
import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraDelta;
import dev.vera4j.vera.VeraLambdas;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** Merged weights against {@code W + ΔW} from the double-precision reference, requantized to several types. */
class MergerTest {
    static final Path STORIES = Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("models/stories260K.gguf");

    static AdapterFile qv(BaseFingerprint base) {
        VeraConfig c = new VeraConfig(99, 8, 0.1f, EnumSet.of(VeraTarget.Q, VeraTarget.V), List.of(1, 3), false);
        Random r = new Random(99);
        TreeMap<VeraSite, VeraLambdas> lambdas = new TreeMap<>();
        for (int l : c.layers()) {
            for (VeraTarget t : c.targets()) {
                float[] b = new float[base.outputs(t)], d = new float[8];
                for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
                for (int i = 0; i < d.length; i++) d[i] = r.nextFloat();
                lambdas.put(new VeraSite(l, t), new VeraLambdas(b, d));
            }
        }
        int[] dims = base.projectionDims(c.targets());
        return new AdapterFile(c, dims[0], dims[1], base, lambdas, Optional.empty(), Optional.empty());
    }

    @Test
    void mergedWeightsEqualReferenceWithinTheOutputTypesRounding(@TempDir Path dir) throws Exception {
        try (GgufFile base = GgufFile.open(STORIES); WorkerPool pool = new WorkerPool(2)) {
            BaseFingerprint fp = BaseFingerprint.of(base);
            AdapterFile adapter = qv(fp);
            AdapterWeights w = AdapterWeights.prepare(adapter, fp, "qv", false);
            Projections p = adapter.resolveProjections();
            for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0}) {
                Path out = dir.resolve(type + ".gguf");
                new Merger(pool).merge(base, w, 0.75f, type, out);
                try (GgufFile m = GgufFile.open(out)) {
                    for (GgufTensor t : base.tensors().values()) {
                        GgufTensor u = m.tensor(t.name());
                        VeraSite site = siteOf(t.name());
                        if (site == null || !adapter.lambdas().containsKey(site)) {
                            assertEquals(t.type(), u.type(), t.name());
                            assertEquals(t.data().mismatch(u.data()), -1L, t.name() + " must be copied unchanged");
                            continue;
                        }
                        assertEquals(type, u.type());
                        int rows = t.rows(), cols = t.cols();
                        double[] delta = VeraDelta.denseDelta(p.view(cols, rows), adapter.lambdas().get(site));
                        float[] wOld = new float[rows * cols], wNew = new float[rows * cols];
                        Codecs.of(t.type()).dequantizeReference(t.data(), 0, wOld, 0, rows * cols);
                        Codecs.of(u.type()).dequantizeReference(u.data(), 0, wNew, 0, rows * cols);
                        for (int hfRow = 0; hfRow < rows; hfRow++) {
                            int row = site.target() == VeraTarget.Q ? QkPermutation.ggufRow(hfRow, fp.headDim()) : hfRow;
                            double amax = 0;
                            for (int c = 0; c < cols; c++) amax = Math.max(amax, Math.abs(wOld[row * cols + c] + 0.75 * delta[hfRow * cols + c]));
                            for (int c = 0; c < cols; c++) {
                                double expected = wOld[row * cols + c] + 0.75 * delta[hfRow * cols + c];
                                double tol = switch (type) {
                                    case F32 -> 1e-5 * Math.max(1, Math.abs(expected));
                                    case F16 -> Math.abs(expected) * 0x1p-11 + 1e-7;
                                    case BF16 -> Math.abs(expected) * 0x1p-8 + 1e-7;
                                    default -> amax / 127 * (0.5 + 127 * 0x1p-11) + 1e-6;   // Q8_0: half a step of d = amax/127, plus d rounded to F16
                                };
                                assertEquals(expected, wNew[row * cols + c], tol, type + " " + t.name() + " [" + row + "," + c + "]");
                            }
                        }
                    }
                }
            }
        }
    }

    static VeraSite siteOf(String name) {
        String[] parts = name.split("\\.");
        if (parts.length != 4 || !parts[0].equals("blk")) return null;
        int layer = Integer.parseInt(parts[1]);
        return switch (parts[2]) {
            case "attn_q" -> new VeraSite(layer, VeraTarget.Q);
            case "attn_v" -> new VeraSite(layer, VeraTarget.V);
            default -> null;
        };
    }

    @Test
    void rejectsNonFiniteWeights(@TempDir Path dir) {
        try (GgufFile base = GgufFile.open(STORIES); WorkerPool pool = new WorkerPool(1)) {
            BaseFingerprint fp = BaseFingerprint.of(base);
            AdapterWeights w = AdapterWeights.prepare(qv(fp), fp, "qv", false);
            assertThrows(IllegalArgumentException.class, () -> new Merger(pool).merge(base, w, Float.NaN, null, dir.resolve("x.gguf")));
        }
    }
}
