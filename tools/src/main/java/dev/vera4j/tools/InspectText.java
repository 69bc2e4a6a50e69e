package dev.vera4j.tools;

import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;

import java.io.PrintStream;
import java.util.Arrays;

/** The human-readable report of {@code vera4j inspect}: file line, model summary, metadata, tensor table, totals. */
final class InspectText {
    private InspectText() {}

    static void print(GgufFile f, PrintStream out) {
        out.println("file: " + f.path() + " (" + Numbers.bytes(f.fileSize()) + ", GGUF v" + f.version() + ", alignment "
                + f.parts().getFirst().alignment() + (f.parts().size() > 1 ? ", " + f.parts().size() + " split parts" : "") + ")");
        ModelSummary s = ModelSummary.of(f);
        out.println("model: " + s.line());
        out.println();
        out.println("metadata (" + f.metadata().keys().size() + " keys):");
        int keyWidth = f.metadata().keys().stream().mapToInt(String::length).max().orElse(0);
        f.metadata().asMap().forEach((k, v) -> out.println("  " + pad(k, keyWidth) + " = " + ValueText.summary(v)));
        out.println();
        out.println("tensors (" + f.tensors().size() + "):");
        printTable(f, out);
        out.println();
        long bytes = f.tensors().values().stream().mapToLong(GgufTensor::byteSize).sum();
        out.println("total: " + f.tensors().size() + " tensors, " + bytes + " bytes (" + Numbers.bytes(bytes) + "), "
                + s.parameters() + " parameters (" + Numbers.human(s.parameters()) + ")");
    }

    private static void printTable(GgufFile f, PrintStream out) {
        if (f.tensors().isEmpty()) {
            out.println("  (none)");
            return;
        }
        int nameW = "name".length(), shapeW = "shape".length(), bytesW = "bytes".length();
        for (GgufTensor t : f.tensors().values()) {
            nameW = Math.max(nameW, t.name().length());
            shapeW = Math.max(shapeW, Arrays.toString(t.shape()).length());
            bytesW = Math.max(bytesW, Long.toString(t.byteSize()).length());
        }
        String format = "  %-" + nameW + "s  %-7s  %-" + shapeW + "s  %" + bytesW + "s  %s%n";
        out.printf(format, "name", "type", "shape", "bytes", "offset");
        for (GgufTensor t : f.tensors().values()) {
            out.printf(format, t.name(), t.type(), Arrays.toString(t.shape()), t.byteSize(), t.offset());
        }
    }

    private static String pad(String s, int width) { return s + " ".repeat(Math.max(0, width - s.length())); }
}
