package dev.vera4j.tools;

import java.io.PrintStream;

/** One {@code vera4j} subcommand. */
public interface Command {
    /** The word that selects it, e.g. {@code inspect}. */
    String name();

    /** One line for the command list. */
    String summary();

    /** The synopsis after {@code vera4j NAME}, e.g. {@code FILE.gguf [--json] [--key KEY]}. */
    String usage();

    /**
     * Runs the command.
     *
     * @return the exit code (0 success, {@link Cli#EXIT_ERROR} runtime failure)
     * @throws UsageException for bad flags or values (exit code {@link Cli#EXIT_USAGE})
     */
    int run(String[] args, PrintStream out, PrintStream err);

    /** Runs the command with {@code in} as its standard input (commands that read input override this). */
    default int run(String[] args, java.io.InputStream in, PrintStream out, PrintStream err) { return run(args, out, err); }
}
