/**
 * Reads and writes llama.cpp's GGUF files: the header, metadata and tensor directory ({@code dev.vera4j.gguf}) and
 * every tensor type's codec ({@code dev.vera4j.gguf.types}), with the weights memory-mapped.
 *
 * <pre>{@code
 * try (GgufFile f = GgufFile.open(Path.of("model.gguf"))) {
 *     System.out.println(f.metadata().getString("general.architecture"));
 * }
 * }</pre>
 */
module dev.vera4j.gguf {
    requires jdk.incubator.vector;

    exports dev.vera4j.gguf;
    exports dev.vera4j.gguf.types;
}
