package dev.vera4j.tools;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code vera4j} command line: picks a subcommand and runs it. {@link #run} returns the exit code and never
 * calls {@code System.exit}, so tests and embedding code can drive it.
 */
public final class Cli {
    /** Exit code for runtime errors (bad file, failed load, ...). */
    public static final int EXIT_ERROR = 1;
    /** Exit code for usage errors (unknown command or flag, bad value). */
    public static final int EXIT_USAGE = 2;

    private Cli() {}

    static List<Command> commands() {
        List<Command> list = new ArrayList<>();
        list.add(new InspectCommand());
        list.add(new TokenizeCommand());
        list.add(new GenerateCommand());
        list.add(new BenchCommand());
        list.add(new MakeModelCommand());
        list.add(new TemplateCommand());
        list.add(new AdapterCommand());
        list.add(new MergeCommand());
        list.add(new ChatCommand());
        list.add(new TrainCommand());
        list.add(new DevicesCommand());
        list.add(new ServeCommand());
        list.add(new PullCommand());
        list.add(new ModelsCommand());
        list.add(new RmCommand());
        return list;
    }

    /** Entry point once the JVM is known to be recent enough and to have the Vector API (see {@link Main}). */
    public static void main(String[] args) {
        System.exit(run(args, System.in, System.out, System.err));
    }

    /** Runs one command line with empty standard input and returns its exit code; never calls {@code System.exit}. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, java.io.InputStream.nullInputStream(), out, err);
    }

    /** Runs one command line reading {@code in} as standard input (chat turns, a piped prompt); returns the exit code. */
    public static int run(String[] args, java.io.InputStream in, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            printUsage(args.length == 0 ? err : out);
            return args.length == 0 ? EXIT_USAGE : 0;
        }
        if (args[0].equals("--version")) {
            out.println("vera4j " + Optional.ofNullable(Cli.class.getPackage().getImplementationVersion()).orElse("dev"));
            return 0;
        }
        Command cmd = commands().stream().filter(c -> c.name().equals(args[0])).findFirst().orElse(null);
        if (cmd == null) {
            err.println("error: unknown command '" + args[0] + "' (try: vera4j --help)");
            return EXIT_USAGE;
        }
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        return run(cmd, "vera4j", rest, in, out, err);
    }

    /**
     * Runs {@code cmd} with its arguments as program {@code program} (named in usage lines), turning failures into one
     * line on {@code err} and an exit code, as every vera4j command reports them (also used by {@code vera4j-spark}).
     */
    public static int run(Command cmd, String program, String[] rest, java.io.InputStream in, PrintStream out, PrintStream err) {
        boolean verbose = List.of(rest).contains("--verbose");
        try {
            int code = cmd.run(rest, in, out, err);
            if (code == 0 && (List.of(rest).contains("--help") || List.of(rest).contains("-h"))) {
                if (program.equals("vera4j")) HelpExamples.print(cmd.name(), out);   // other programs print their own
            }
            return code;
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            err.println("usage: " + program + " " + cmd.name() + " " + cmd.usage() + "   (" + program + " " + cmd.name() + " --help for more)");
            return EXIT_USAGE;
        } catch (OutOfMemoryError e) {
            err.println("error: out of memory (" + e.getMessage() + "); try a larger -Xmx or a smaller --ctx");
            return EXIT_ERROR;
        } catch (RuntimeException e) {
            err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (verbose) e.printStackTrace(err);
            return EXIT_ERROR;
        }
    }

    private static void printUsage(PrintStream out) {
        out.println("vera4j: run GGUF language models and VeRA adapters on the JVM");
        out.println();
        out.println("usage: vera4j COMMAND [options]   (vera4j COMMAND --help for its options)");
        out.println();
        for (Command c : commands()) out.printf("  %-12s %s%n", c.name(), c.summary());
    }
}
