package dev.vera4j.tools;

import dev.vera4j.gguf.GgufArray;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.gguf.GgufValue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code vera4j inspect --json}: the same report as {@link InspectText} as one JSON object. Arrays longer than
 * {@link #MAX_ARRAY} elements are summarised as {@code {"element_type": "string", "length": 512}}; use
 * {@code --key} for a whole array.
 */
final class InspectJson {
    static final int MAX_ARRAY = 16;

    private InspectJson() {}

    static String report(GgufFile f) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("file", f.path().toString());
        root.put("file_bytes", f.fileSize());
        root.put("version", f.version());
        root.put("alignment", f.parts().getFirst().alignment());
        root.put("parts", f.parts().size());
        ModelSummary s = ModelSummary.of(f);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("architecture", s.architecture());
        model.put("blocks", s.blocks());
        model.put("heads", s.heads());
        model.put("kv_heads", s.kvHeads());
        model.put("context", s.context());
        model.put("vocab", s.vocab());
        model.put("parameters", s.parameters());
        model.put("file_type", s.fileType());
        root.put("model", model);
        Map<String, Object> metadata = new LinkedHashMap<>();
        f.metadata().asMap().forEach((k, v) -> metadata.put(k, value(v, true)));
        root.put("metadata", metadata);
        List<Object> tensors = new ArrayList<>();
        long bytes = 0;
        for (GgufTensor t : f.tensors().values()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", t.name());
            row.put("type", t.type().name());
            List<Object> shape = new ArrayList<>();
            for (long d : t.shape()) shape.add(d);
            row.put("shape", shape);
            row.put("bytes", t.byteSize());
            row.put("offset", t.offset());
            tensors.add(row);
            bytes += t.byteSize();
        }
        root.put("tensors", tensors);
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("tensors", f.tensors().size());
        totals.put("bytes", bytes);
        totals.put("parameters", s.parameters());
        root.put("totals", totals);
        return JsonText.write(root);
    }

    /** A metadata value as a JSON value; {@code summarise} replaces long arrays by their type and length. */
    static Object value(GgufValue v, boolean summarise) {
        return switch (v.type()) {
            case ARRAY -> array((GgufArray) v.value(), summarise);
            case UINT64 -> new JsonText.Raw(Long.toUnsignedString((Long) v.value()));
            default -> v.value();
        };
    }

    private static Object array(GgufArray a, boolean summarise) {
        int n = a.length();
        if (summarise && n > MAX_ARRAY) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("element_type", a.elementType().name().toLowerCase());
            m.put("length", n);
            return m;
        }
        List<Object> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(switch (a.elements()) {
                case String[] s -> s[i];
                case float[] x -> x[i];
                case double[] x -> x[i];
                case GgufArray[] nested -> array(nested[i], summarise);
                default -> switch (a.elementType()) {
                    case BOOL -> a.getLong(i) != 0;
                    case UINT64 -> new JsonText.Raw(Long.toUnsignedString(a.getLong(i)));
                    default -> a.getLong(i);
                };
            });
        }
        return list;
    }

}
