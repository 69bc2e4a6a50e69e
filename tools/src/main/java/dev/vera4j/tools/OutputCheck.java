package dev.vera4j.tools;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks where a command will write before it does any work: a training run that fails at its first save, minutes
 * in, or silently replaces last night's adapter, is the failure this prevents.
 *
 * <pre>{@code
 * OutputCheck.writable(Path.of("pip.vera.gguf"), Path.of("pip.vera.gguf.ckpt"), resumeOrForce);
 * }</pre>
 */
final class OutputCheck {
    private OutputCheck() {}

    /**
     * @param output    the file to be written
     * @param companion a file written beside it (a checkpoint), or null
     * @param overwrite whether existing files may be replaced ({@code --resume} or {@code --force})
     * @throws UsageException when the folder is missing or not writable, {@code output} is a folder, or a file exists
     *                        and {@code overwrite} is false
     */
    static void writable(Path output, Path companion, boolean overwrite) {
        Path dir = output.toAbsolutePath().getParent();
        if (Files.isDirectory(output)) throw new UsageException("-o " + output + " is a folder; give a file name");
        if (dir == null || !Files.isDirectory(dir)) throw new UsageException("-o " + output + ": folder " + dir + " does not exist");
        if (!Files.isWritable(dir)) throw new UsageException("-o " + output + ": folder " + dir + " is not writable");
        if (overwrite) return;
        for (Path p : companion == null ? new Path[] {output} : new Path[] {output, companion}) {
            if (Files.exists(p)) {
                throw new UsageException(p + " exists; --resume continues its run, --force starts afresh over it");
            }
        }
    }
}
