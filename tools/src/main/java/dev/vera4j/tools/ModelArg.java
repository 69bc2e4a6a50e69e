package dev.vera4j.tools;

import dev.vera4j.tools.hub.DownloadBar;
import dev.vera4j.tools.hub.HubClient;
import dev.vera4j.tools.hub.HubModels;
import dev.vera4j.tools.hub.HubRef;
import dev.vera4j.tools.hub.HubSettings;
import dev.vera4j.tools.hub.ModelCache;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * The model a command takes ({@code -m}): a file, or {@code hf:REPO[:QUANT|/FILE.gguf]}, a model on the Hugging Face
 * Hub, taken from the cache ({@code vera4j models}) or pulled into it first, with a progress bar on standard error.
 *
 * <pre>{@code
 * Path model = ModelArg.require(a, "-m MODEL", err, System.getenv());   // -m hf:ggml-org/models:Q4_0 works too
 * }</pre>
 */
final class ModelArg {
    private ModelArg() {}

    /** The model file named by option {@code model}; {@code flag} names it in the missing-option error. */
    static Path require(Args a, String flag, PrintStream err) { return require(a, flag, err, System.getenv()); }

    static Path require(Args a, String flag, PrintStream err, Map<String, String> env) { return resolve(a.require("model", flag), err, env); }

    static Path resolve(String value, PrintStream err, Map<String, String> env) {
        if (!HubRef.isHub(value)) return Path.of(value);
        HubRef ref;
        try {
            ref = HubRef.parse(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        return models(env, err).resolve(ref);
    }

    /** The cache and hub client for {@code env}, printing progress on {@code err}. */
    static HubModels models(Map<String, String> env, PrintStream err) {
        boolean tty = System.console() != null && System.console().isTerminal() && err == System.err;
        return new HubModels(new HubClient(HubSettings.from(env)), ModelCache.from(env), DownloadBar.on(err, tty), err);
    }
}
