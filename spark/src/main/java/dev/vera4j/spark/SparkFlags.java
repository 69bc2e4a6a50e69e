package dev.vera4j.spark;

import dev.vera4j.tools.Args;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command line into the flags {@code vera4j-spark} adds (each takes a value) and the rest, which goes to the
 * {@code vera4j} command it extends.
 *
 * <pre>{@code
 * SparkFlags f = SparkFlags.take(argv, List.of("--master", "--partitions"));
 * String master = f.args().get("master");
 * }</pre>
 */
record SparkFlags(Args args, String[] rest) {
    static SparkFlags take(String[] argv, List<String> flags) {
        Args.Spec spec = new Args.Spec();
        for (String flag : flags) spec.value(flag.substring(2), flag);
        List<String> mine = new ArrayList<>(), rest = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (flags.contains(name)) {
                mine.add(a);
                if (!a.contains("=") && i + 1 < argv.length) mine.add(argv[++i]);
            } else {
                rest.add(a);
            }
        }
        return new SparkFlags(spec.parse(mine.toArray(String[]::new)), rest.toArray(String[]::new));
    }
}
