package dev.vera4j.spark;

import dev.vera4j.tools.Cli;
import dev.vera4j.tools.Command;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code vera4j-spark} command line ({@code bin/vera4j-spark}, or {@code spark-submit --class dev.vera4j.spark.SparkCli
 * vera4j-spark.jar}): {@code train}, {@code train-many} and {@code generate}. {@link #run} returns the exit code and
 * never calls {@code System.exit}; errors are one line, as in {@code vera4j}.
 *
 * <pre>{@code
 * int code = SparkCli.run(new String[] {"generate", "--master", "local[2]", "-m", "base.gguf", "--input", "p.jsonl", "--output", "out"}, System.out, System.err);
 * }</pre>
 */
public final class SparkCli {
    private SparkCli() {}

    static List<Command> commands() {
        return List.of(new SparkTrainCommand(), new SparkTrainManyCommand(), new SparkGenerateCommand());
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line; returns its exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            PrintStream to = args.length == 0 ? err : out;
            to.println("vera4j-spark: VeRA training and batch generation on Apache Spark");
            to.println();
            to.println("usage: vera4j-spark COMMAND [options]   (vera4j-spark COMMAND --help for its options)");
            to.println();
            for (Command c : commands()) to.printf("  %-12s %s%n", c.name(), c.summary());
            return args.length == 0 ? Cli.EXIT_USAGE : 0;
        }
        Command cmd = commands().stream().filter(c -> c.name().equals(args[0])).findFirst().orElse(null);
        if (cmd == null) {
            err.println("error: unknown command '" + args[0] + "' (try: vera4j-spark --help)");
            return Cli.EXIT_USAGE;
        }
        return Cli.run(cmd, "vera4j-spark", Arrays.copyOfRange(args, 1, args.length), InputStream.nullInputStream(), out, err);
    }
}
