package dev.vera4j.tools;

import dev.vera4j.tools.hub.HubRef;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code vera4j pull REPO[:QUANT|/FILE.gguf]}: downloads a GGUF model from the Hugging Face Hub into the cache and prints
 * its path (see {@link dev.vera4j.tools.hub.HubClient} for the endpoints, {@link dev.vera4j.tools.hub.QuantPicker} for
 * the choice of file).
 */
final class PullCommand implements Command {
    private final Map<String, String> env;

    PullCommand() { this(System.getenv()); }

    PullCommand(Map<String, String> env) { this.env = env; }

    @Override public String name() { return "pull"; }
    @Override public String summary() { return "download a GGUF model from the Hugging Face Hub into the cache"; }
    @Override public String usage() { return "REPO[:QUANT|/FILE.gguf]"; }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec().flag("help", "-h", "--help").parse(argv);
        if (a.has("help")) {
            out.println("usage: vera4j pull " + usage());
            out.println();
            out.println("Downloads a model from the Hugging Face Hub into $VERA4J_CACHE/models (default ~/.cache/vera4j/models),");
            out.println("resuming a partial download and checking the sha256 the hub lists, and prints the file to pass to -m.");
            out.println("REPO:QUANT picks the .gguf whose name holds QUANT (all parts of a split model); without one, the only");
            out.println("model, else Q4_K_M, Q4_0 or Q8_0. -m hf:REPO[:QUANT] in any command pulls the same way when needed.");
            out.println("HF_TOKEN (or huggingface-cli's token file) for gated and private repositories; HF_ENDPOINT for a mirror.");
            out.println();
            out.println("examples:");
            out.println("  vera4j pull bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_0");
            out.println("  vera4j pull ggml-org/models/tinyllamas/stories260K.gguf");
            out.println("  vera4j chat -m hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q8_0");
            return 0;
        }
        if (a.positional().size() != 1) throw new UsageException(a.positional().isEmpty() ? "missing REPO" : "one repository at a time");
        HubRef ref;
        try {
            ref = HubRef.parse(a.positional().getFirst());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Path file = ModelArg.models(env, err).pull(ref);
        out.println(file);
        return 0;
    }
}
