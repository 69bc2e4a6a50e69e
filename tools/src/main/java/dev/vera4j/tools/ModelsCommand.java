package dev.vera4j.tools;

import dev.vera4j.tools.hub.ModelCache;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code vera4j models}: the models pulled into the cache, as {@code REPO/FILE  SIZE}, and where the cache is. */
final class ModelsCommand implements Command {
    private final Map<String, String> env;

    ModelsCommand() { this(System.getenv()); }

    ModelsCommand(Map<String, String> env) { this.env = env; }

    @Override public String name() { return "models"; }
    @Override public String summary() { return "list the models pulled into the cache"; }
    @Override public String usage() { return ""; }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec().flag("help", "-h", "--help").parse(argv);
        if (a.has("help")) {
            out.println("usage: vera4j models");
            out.println("Lists the files `vera4j pull` (or -m hf:...) put in $VERA4J_CACHE/models, with their sizes;");
            out.println("`vera4j rm REPO[:QUANT]` deletes them.");
            out.println();
            out.println("examples:");
            out.println("  vera4j models | grep -i q4_0");
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        ModelCache cache = ModelCache.from(env);
        List<ModelCache.Entry> entries = cache.list();
        if (entries.isEmpty()) {
            err.println("no models in " + cache.root() + " (get one with: vera4j pull REPO:QUANT)");
            return 0;
        }
        long total = 0;
        for (ModelCache.Entry e : entries) {
            out.printf(Locale.ROOT, "%-72s %10s%n", e.repo() + "/" + e.path(), size(e.size()));
            total += e.size();
        }
        err.println(entries.size() + " file" + (entries.size() == 1 ? "" : "s") + ", " + size(total) + " in " + cache.root());
        return 0;
    }

    static String size(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
}
