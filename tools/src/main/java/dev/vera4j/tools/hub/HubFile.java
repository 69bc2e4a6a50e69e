package dev.vera4j.tools.hub;

/**
 * One file of a hub repository as its tree listing reports it.
 *
 * @param path   path inside the repository, e.g. {@code Q4_K_M/model-Q4_K_M-00001-of-00002.gguf}
 * @param size   bytes
 * @param sha256 the LFS object id (the file's sha256, hex), or null for a file kept in git itself
 * @param gitOid the git blob id (sha1 of {@code "blob SIZE\0" + content}), used when there is no LFS id
 */
public record HubFile(String path, long size, String sha256, String gitOid) {
    /** The last path segment. */
    public String name() { return path.substring(path.lastIndexOf('/') + 1); }
}
