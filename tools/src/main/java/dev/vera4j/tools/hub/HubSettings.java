package dev.vera4j.tools.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the hub is and who asks, read from the environment as the {@code huggingface_hub} library reads it:
 * {@code HF_ENDPOINT} (default {@code https://huggingface.co}; mirrors and tests point it elsewhere), the token from
 * {@code HF_TOKEN}, else the file {@code HF_TOKEN_PATH}, else {@code $HF_HOME/token} (default
 * {@code ~/.cache/huggingface/token}, where {@code huggingface-cli login} writes it), and {@code HF_HUB_OFFLINE=1}
 * (no network: only models already in the cache).
 *
 * <pre>{@code
 * HubSettings s = HubSettings.from(System.getenv());
 * }</pre>
 *
 * @param endpoint base URL without a trailing slash
 * @param token    bearer token, or null
 * @param offline  whether the network must not be used
 */
public record HubSettings(String endpoint, String token, boolean offline) {
    /** The public hub. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    public static HubSettings from(Map<String, String> env) {
        String endpoint = blankToNull(env.get("HF_ENDPOINT"));
        endpoint = endpoint == null ? DEFAULT_ENDPOINT : endpoint.replaceAll("/+$", "");
        String token = blankToNull(env.get("HF_TOKEN"));
        if (token == null) {
            String file = blankToNull(env.get("HF_TOKEN_PATH"));
            String home = blankToNull(env.get("HF_HOME"));
            Path path = file != null ? Path.of(file)
                    : home != null ? Path.of(home, "token") : Path.of(System.getProperty("user.home"), ".cache", "huggingface", "token");
            try {
                if (Files.isRegularFile(path)) token = blankToNull(Files.readString(path).strip());
            } catch (IOException e) {
                // an unreadable token file is the same as none: public repositories still work
            }
        }
        String off = env.getOrDefault("HF_HUB_OFFLINE", "").strip().toLowerCase(java.util.Locale.ROOT);
        return new HubSettings(endpoint, token, off.equals("1") || off.equals("true") || off.equals("yes") || off.equals("on"));
    }

    private static String blankToNull(String s) { return s == null || s.isBlank() ? null : s.strip(); }

    @Override
    public String toString() { return "HubSettings[endpoint=" + endpoint + ", token=" + (token == null ? "none" : "set") + ", offline=" + offline + "]"; }
}
