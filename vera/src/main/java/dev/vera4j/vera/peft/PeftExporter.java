package dev.vera4j.vera.peft;

import dev.vera4j.engine.json.Json;
import dev.vera4j.vera.Projections;
import dev.vera4j.vera.VeraLambdas;
import dev.vera4j.vera.VeraSite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a {@link PeftVeraAdapter} as a PEFT adapter directory that {@code PeftModel.from_pretrained} loads:
 * {@code adapter_config.json} formatted as PEFT formats it ({@code json.dumps(indent=2, sort_keys=True)}, non-ASCII
 * escaped) and {@code adapter_model.safetensors} laid out as {@code safetensors.torch.save_file} lays it out, with the
 * adapter's dtypes and metadata. Importing what this wrote and exporting again gives the same bytes.
 *
 * <pre>{@code
 * PeftExporter.write(adapter, Path.of("out/vera-adapter"));
 * }</pre>
 */
public final class PeftExporter {
    private PeftExporter() {}

    /**
     * Writes both files into {@code dir} (created if needed), each to a temporary file renamed into place.
     *
     * @throws IOException if the directory or a file cannot be written
     */
    public static void write(PeftVeraAdapter adapter, Path dir) throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter w = new SafetensorsWriter();
        adapter.storage().metadata().forEach(w::metadata);
        SafetensorsDtype ld = adapter.storage().lambdaDtype();
        for (Map.Entry<VeraSite, VeraLambdas> e : adapter.lambdas().entrySet()) {
            VeraLambdas l = e.getValue();
            w.addFloats(PeftTensorNames.lambdaB(e.getKey()), ld, new long[] {l.out()}, l.lambdaB());
            w.addFloats(PeftTensorNames.lambdaD(e.getKey()), ld, new long[] {l.rank()}, l.lambdaD());
        }
        if (adapter.projections().isPresent()) {
            Projections p = adapter.projections().get();
            SafetensorsDtype pd = adapter.storage().projectionDtype();
            w.addFloats(PeftTensorNames.VERA_A, pd, new long[] {p.rank(), p.inMax()}, p.a());
            w.addFloats(PeftTensorNames.VERA_B, pd, new long[] {p.outMax(), p.rank()}, p.b());
        }
        w.write(dir.resolve(PeftImporter.WEIGHTS_FILE));
        writeAtomically(dir.resolve(PeftImporter.CONFIG_FILE),
                pythonJsonDumps(adapter.config().json()).getBytes(StandardCharsets.US_ASCII));
    }

    /** Python's {@code json.dumps(value, indent=2, sort_keys=True)}: keys sorted at every level, ASCII only. */
    static String pythonJsonDumps(Object value) {
        String text = Json.writePretty(sortKeys(value));
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                sb.append(c);
            } else {
                // ensure_ascii: every UTF-16 unit (so surrogate pairs too) as a lower-case \\uXXXX escape
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb.toString();
    }

    private static Object sortKeys(Object v) {
        if (v instanceof Map<?, ?> m) {
            TreeMap<String, Object> sorted = new TreeMap<>();
            m.forEach((k, x) -> sorted.put(String.valueOf(k), sortKeys(x)));
            return sorted;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(sortKeys(x)));
            return out;
        }
        return v;
    }

    static void writeAtomically(Path path, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(path.toAbsolutePath().getParent(), path.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
