package dev.vera4j.tools;

import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;

import java.io.PrintStream;
import java.nio.file.Path;

/** {@code vera4j inspect FILE.gguf}: metadata, tensor table and a model summary. (Minimal; extended by the gguf work.) */
final class InspectCommand implements Command {
    @Override public String name() { return "inspect"; }
    @Override public String summary() { return "show a GGUF file's metadata, tensors and model summary"; }
    @Override public String usage() { return "FILE.gguf"; }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec().flag("help", "-h", "--help").parse(argv);
        if (a.has("help")) { out.println("usage: vera4j inspect " + usage()); return 0; }
        if (a.positional().size() != 1) throw new UsageException("expected one GGUF file");
        try (GgufFile f = GgufFile.open(Path.of(a.positional().getFirst()))) {
            f.metadata().asMap().forEach((k, v) -> out.println(k + " = " + v));
            for (GgufTensor t : f.tensors().values()) out.println(t);
            out.println(f.tensors().size() + " tensors");
        }
        return 0;
    }
}
