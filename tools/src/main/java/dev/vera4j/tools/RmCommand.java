package dev.vera4j.tools;

import dev.vera4j.tools.hub.HubException;
import dev.vera4j.tools.hub.HubRef;
import dev.vera4j.tools.hub.ModelCache;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/** {@code vera4j rm REPO[:QUANT|/FILE.gguf]}: deletes pulled models from the cache (a whole repository without a tag). */
final class RmCommand implements Command {
    private final Map<String, String> env;

    RmCommand() { this(System.getenv()); }

    RmCommand(Map<String, String> env) { this.env = env; }

    @Override public String name() { return "rm"; }
    @Override public String summary() { return "delete pulled models from the cache"; }
    @Override public String usage() { return "REPO[:QUANT|/FILE.gguf]..."; }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec().flag("help", "-h", "--help").parse(argv);
        if (a.has("help")) {
            out.println("usage: vera4j rm " + usage());
            out.println("Deletes what `vera4j models` lists: REPO (all of it), REPO:QUANT or REPO/FILE.gguf (every part of a split model).");
            out.println();
            out.println("examples:");
            out.println("  vera4j rm bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_0");
            out.println("  vera4j rm bartowski/Llama-3.2-1B-Instruct-GGUF");
            return 0;
        }
        if (a.positional().isEmpty()) throw new UsageException("missing REPO[:QUANT]");
        ModelCache cache = ModelCache.from(env);
        int code = 0;
        for (String arg : a.positional()) {
            HubRef ref;
            try {
                ref = HubRef.parse(arg);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            List<ModelCache.Entry> gone;
            try {
                gone = cache.remove(ref);
            } catch (HubException e) {
                gone = List.of();
            }
            if (gone.isEmpty()) {
                err.println("error: nothing in the cache matches " + arg + " (vera4j models lists it)");
                code = Cli.EXIT_ERROR;
            }
            for (ModelCache.Entry e : gone) out.println("removed " + e.repo() + "/" + e.path());
        }
        return code;
    }
}
