package dev.vera4j.tools;

import dev.vera4j.gguf.GgufArray;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufKeyException;
import dev.vera4j.gguf.GgufValue;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code vera4j inspect FILE.gguf [--json] [--key KEY]}: a GGUF file's model summary, metadata, tensor table and
 * totals ({@link InspectText}, or {@link InspectJson} with {@code --json}); {@code --key} prints one metadata value
 * in full (array elements one per line).
 */
final class InspectCommand implements Command {
    @Override public String name() { return "inspect"; }
    @Override public String summary() { return "show a GGUF file's metadata, tensors and model summary"; }
    @Override public String usage() { return "FILE.gguf [--json] [--key KEY]"; }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec()
                .flag("help", "-h", "--help")
                .flag("json", "--json")
                .value("key", "--key")
                .parse(argv);
        if (a.has("help")) {
            out.println("usage: vera4j inspect " + usage());
            out.println();
            out.println("Shows a GGUF model (a split model may be named by any of its parts):");
            out.println("  a one-line summary (architecture, blocks, heads, kv heads, context, vocab, parameters, file type),");
            out.println("  the metadata (long arrays and strings shortened), the tensor table (offsets are relative to the");
            out.println("  start of the data section, as stored in the file) and the totals.");
            out.println();
            out.println("  --json      print the report as one JSON object");
            out.println("  --key KEY   print only the value of metadata key KEY, in full (exit 1 if it is missing)");
            return 0;
        }
        if (a.positional().size() != 1) throw new UsageException("expected one GGUF file, got " + a.positional().size() + " arguments");
        try (GgufFile f = GgufFile.open(ModelArg.resolve(a.positional().getFirst(), err, System.getenv()))) {
            if (a.has("key")) {
                printKey(f, a.get("key"), a.has("json"), out);
            } else if (a.has("json")) {
                out.println(InspectJson.report(f));
            } else {
                InspectText.print(f, out);
            }
        }
        return 0;
    }

    private static void printKey(GgufFile f, String key, boolean json, PrintStream out) {
        GgufValue v = f.metadata().get(key);
        if (v == null) throw new GgufKeyException("metadata key '" + key + "' is not in " + f.path());
        if (json) {
            out.println(JsonText.write(InspectJson.value(v, false)));
        } else if (v.value() instanceof GgufArray arr) {
            for (int i = 0; i < arr.length(); i++) out.println(arr.elementText(i));
        } else {
            out.println(v.value() instanceof String s ? s : v.toString());
        }
    }
}
