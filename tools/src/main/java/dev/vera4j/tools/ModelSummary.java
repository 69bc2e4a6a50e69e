package dev.vera4j.tools;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufArray;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufMetadata;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.gguf.GgufValue;

import java.util.EnumMap;
import java.util.Map;

/**
 * The one-line description of a model that {@code vera4j inspect} prints: read from the standard GGUF keys
 * ({@code general.architecture}, {@code <arch>.block_count}, ...). Any field is {@code null} when the file lacks it.
 *
 * <pre>{@code
 * ModelSummary s = ModelSummary.of(file);
 * out.println(s.line());   // llama, 5 blocks, 8 heads, 4 kv heads, context 512, vocab 512, 292.9K parameters, file type all F32 (guessed)
 * }</pre>
 */
record ModelSummary(String architecture, Long blocks, Long heads, Long kvHeads, Long context, Long vocab,
                    long parameters, String fileType) {

    static ModelSummary of(GgufFile f) {
        GgufMetadata m = f.metadata();
        GgufValue archValue = m.get("general.architecture");
        String arch = archValue != null && archValue.value() instanceof String s ? s : null;
        String p = arch == null ? "\0" : arch + ".";   // no key starts with NUL: absent architecture finds nothing
        Long vocab = m.has("tokenizer.ggml.tokens") && m.get("tokenizer.ggml.tokens").value() instanceof GgufArray a
                ? Long.valueOf(a.length()) : integer(m, p + "vocab_size");
        long params = 0;
        for (GgufTensor t : f.tensors().values()) params += t.elementCount();
        Long heads = integer(m, p + "attention.head_count");
        Long kvHeads = integer(m, p + "attention.head_count_kv");
        return new ModelSummary(arch, integer(m, p + "block_count"), heads, kvHeads != null ? kvHeads : heads, // llama.cpp's default
                integer(m, p + "context_length"), vocab, params, fileType(f));
    }

    /** An integer value; for a per-layer array of integers, its largest element; otherwise null. */
    private static Long integer(GgufMetadata m, String key) {
        GgufValue v = m.get(key);
        if (v == null) return null;
        if (v.type().isInteger()) return (Long) v.value();
        if (v.value() instanceof GgufArray a && a.elementType().isInteger() && a.length() > 0) {
            long max = Long.MIN_VALUE;
            for (int i = 0; i < a.length(); i++) max = Math.max(max, a.getLong(i));
            return max;
        }
        return null;
    }

    /** {@code general.file_type} by llama.cpp's name, or a guess from the tensor types when the key is absent. */
    private static String fileType(GgufFile f) {
        GgufValue v = f.metadata().get("general.file_type");
        if (v != null && v.type().isInteger()) return FileTypes.name((Long) v.value());
        Map<GgmlType, Long> elements = new EnumMap<>(GgmlType.class);
        for (GgufTensor t : f.tensors().values()) {
            if (t.rank() >= 2) elements.merge(t.type(), t.elementCount(), Long::sum);
        }
        return elements.entrySet().stream().max(Map.Entry.comparingByValue())
                .map(e -> (e.getKey() == GgmlType.F32 ? "all F32" : e.getKey().name()) + " (guessed)").orElse(null);
    }

    /** {@code llama, 5 blocks, 8 heads, ...}; unknown fields print as {@code ?}. */
    String line() {
        return (architecture == null ? "unknown architecture" : architecture)
                + ", " + orUnknown(blocks) + " blocks, " + orUnknown(heads) + " heads, " + orUnknown(kvHeads) + " kv heads"
                + ", context " + orUnknown(context) + ", vocab " + orUnknown(vocab)
                + ", " + Numbers.human(parameters) + " parameters, file type " + (fileType == null ? "?" : fileType);
    }

    private static String orUnknown(Long v) { return v == null ? "?" : v.toString(); }
}
