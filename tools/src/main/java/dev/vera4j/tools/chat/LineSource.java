package dev.vera4j.tools.chat;

import java.io.IOException;

/** Where the chat REPL's lines come from: a pipe ({@link ChatRepl#run(java.io.BufferedReader, java.io.PrintStream, java.io.PrintStream, Interrupts)}) or a {@link LineEditor}. */
@FunctionalInterface
public interface LineSource {
    /** The next line (a user turn or a slash command), prompting for it if the source prompts; null at end of input. */
    String next() throws IOException;
}
