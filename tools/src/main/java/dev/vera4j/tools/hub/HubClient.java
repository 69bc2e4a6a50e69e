package dev.vera4j.tools.hub;

import dev.vera4j.engine.json.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The part of the Hugging Face Hub's HTTP API that fetching a model needs, on the JDK's {@link HttpClient}:
 * <ul>
 *   <li>{@code GET {endpoint}/api/models/{repo}/tree/main?recursive=true}: the repository's files, a JSON array of
 *       {@code {"type":"file","path":...,"size":...,"oid":GIT_SHA1,"lfs":{"oid":SHA256,"size":...}}}, further pages
 *       linked by a {@code Link: <url>; rel="next"} header;</li>
 *   <li>{@code GET {endpoint}/{repo}/resolve/main/{path}}: the file's bytes, usually after a redirect (relative, or to
 *       a CDN on another host), honouring {@code Range: bytes=N-} with {@code 206} and {@code Content-Range}.</li>
 * </ul>
 * Redirects are followed here rather than by the client so that the {@code Authorization: Bearer} token goes to the
 * hub's own host only, never to the CDN a redirect names (as {@code huggingface_hub} does). Errors become one-line
 * {@link HubException}s: 401/403 say what to do with {@code HF_TOKEN}, using the hub's {@code X-Error-Code} header
 * ({@code RepositoryNotFound}, {@code GatedRepo}) where it sends one.
 *
 * <p>Downloads go to {@code FILE.part} beside the target, resume from its length with a range request (a dropped
 * connection is retried from where it stopped, and a later run continues the same file), are checked against the
 * sha256 the listing reported (the git blob id for files not in LFS), and only then renamed to the target: a file that
 * fails the check is deleted, never kept as complete.
 *
 * <pre>{@code
 * HubClient hub = new HubClient(HubSettings.from(System.getenv()));
 * List<HubFile> files = hub.files("ggml-org/models");
 * hub.download("ggml-org/models", files.getFirst(), Path.of("model.gguf"), DownloadBar.none());
 * }</pre>
 */
public final class HubClient {
    private static final int MAX_REDIRECTS = 10;
    /** Tries per file before giving up (a later run still resumes from the {@code .part} file). */
    static final int ATTEMPTS = 5;
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    /** How long a download may receive nothing before the connection counts as lost (and is resumed). */
    public static final Duration DEFAULT_STALL = Duration.ofSeconds(60);

    private final HubSettings settings;
    private final URI endpoint;
    private final HttpClient http;
    private final Duration stall;

    public HubClient(HubSettings settings) { this(settings, DEFAULT_STALL); }

    /** A client whose downloads give up on a connection that sends nothing for {@code stall}. */
    public HubClient(HubSettings settings, Duration stall) {
        this.settings = settings;
        this.stall = stall;
        try {
            this.endpoint = URI.create(settings.endpoint() + "/");
        } catch (IllegalArgumentException e) {
            throw new HubException("HF_ENDPOINT is not a URL: " + settings.endpoint());
        }
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(30)).build();
    }

    /** Every file of {@code repo} at its {@code main} revision. */
    public List<HubFile> files(String repo) {
        List<HubFile> out = new ArrayList<>();
        URI uri = endpoint.resolve("api/models/" + repo + "/tree/main?recursive=true");
        while (uri != null) {
            HttpResponse<InputStream> r;
            String body;
            try {
                r = get(uri, 0, repo, null);
                try (InputStream in = r.body()) {
                    body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            } catch (IOException e) {
                throw new HubException("cannot list " + repo + " on " + settings.endpoint() + ": " + e.getMessage(), e);
            }
            if (r.statusCode() != 200) throw failure(r.statusCode(), r, repo, null);
            try {
                for (Object o : (List<?>) Json.parse(body)) {
                    Map<?, ?> e = (Map<?, ?>) o;
                    if (!"file".equals(e.get("type"))) continue;
                    Map<?, ?> lfs = e.get("lfs") instanceof Map<?, ?> m ? m : null;
                    out.add(new HubFile((String) e.get("path"), ((Number) e.get("size")).longValue(),
                            lfs == null ? null : (String) lfs.get("oid"), (String) e.get("oid")));
                }
            } catch (RuntimeException e) {
                throw new HubException("unexpected file listing from " + uri + ": " + e.getMessage(), e);
            }
            uri = r.headers().firstValue("link").map(l -> NEXT.matcher(l)).filter(Matcher::find).map(m -> uri(m.group(1))).orElse(null);
        }
        return out;
    }

    /** Downloads {@code file} of {@code repo} to {@code target} (resuming {@code target.part}), verified by checksum. */
    public void download(String repo, HubFile file, Path target, DownloadBar bar) {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        MessageDigest digest = digestFor(file);
        long have;
        try {
            Files.createDirectories(target.getParent());
            have = Files.exists(part) ? Files.size(part) : 0;
            if (have > file.size()) {
                Files.delete(part);
                have = 0;
            }
            hashExisting(part, have, digest);
        } catch (IOException e) {
            throw new HubException("cannot write " + part + ": " + e.getMessage(), e);
        }
        URI uri = endpoint.resolve(repo + "/resolve/main/" + encodePath(file.path()));
        bar.start(file.path(), file.size(), have);
        int failures = 0;
        try (StallWatchdog watchdog = new StallWatchdog(Thread.currentThread(), stall)) {
            while (have < file.size()) {
                try {
                    have = fetch(uri, repo, file, part, have, digest, bar, watchdog);
                } catch (IOException e) {
                    watchdog.clearInterrupt();
                    try {
                        have = Files.size(part);   // what reached the disk (the digest saw exactly those bytes)
                    } catch (IOException notThere) {
                        have = 0;
                    }
                    if (++failures >= ATTEMPTS) {
                        bar.finish(false);
                        throw new HubException("download of " + file.path() + " failed " + ATTEMPTS + " times (" + message(e) + "); " + have
                                + " bytes kept in " + part + ": run the same command again to resume", e);
                    }
                    bar.note("connection lost (" + message(e) + "), resuming at byte " + have);
                } catch (RuntimeException e) {
                    bar.finish(false);
                    throw e;
                }
            }
        }
        bar.finish(true);
        String got = HexFormat.of().formatHex(digest.digest());
        String want = file.sha256() != null ? file.sha256() : file.gitOid();
        if (want == null || !want.equalsIgnoreCase(got)) {
            try {
                Files.deleteIfExists(part);
            } catch (IOException e) {
                // reported below either way; the .part name keeps it from being taken as complete
            }
            throw new HubException("checksum mismatch for " + file.path() + ": the hub says " + (file.sha256() != null ? "sha256 " : "git oid ")
                    + want + ", the download has " + got + "; deleted it (run the command again to retry)");
        }
        try {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new HubException("cannot rename " + part + " to " + target + ": " + e.getMessage(), e);
        }
    }

    /** One request from byte {@code have}; returns the new length of {@code part}. Read failures are retryable. */
    private long fetch(URI uri, String repo, HubFile file, Path part, long have, MessageDigest digest, DownloadBar bar,
                       StallWatchdog watchdog) throws IOException {
        HttpResponse<InputStream> r = get(uri, have, repo, file.path());
        try (InputStream in = r.body()) {
            int code = r.statusCode();
            boolean append;
            if (code == 206) {
                Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("content-range").orElse(""));
                if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                    throw new HubException("the hub answered a request for " + file.path() + " from byte " + have + " with Content-Range '"
                            + r.headers().firstValue("content-range").orElse("") + "'");
                }
                append = true;
            } else if (code == 200) {
                append = false;   // the whole file: the server ignored the range, start over
                if (have > 0) {
                    digest.reset();
                    if (file.sha256() == null) digest.update(blobHeader(file));
                    bar.restart();
                }
                have = 0;
            } else if (code >= 500) {
                throw new IOException("HTTP " + code);
            } else {
                throw failure(code, r, repo, file.path());
            }
            byte[] buf = new byte[1 << 16];
            try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                int n;
                while ((n = watchdog.read(in, buf)) > 0) {
                    try {
                        out.write(buf, 0, n);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);   // the disk, not the network: not worth a retry
                    }
                    digest.update(buf, 0, n);
                    have += n;
                    bar.advance(n);
                    if (have > file.size()) throw new HubException(file.path() + ": the hub sent more than the " + file.size() + " bytes it listed");
                }
            } catch (UncheckedIOException e) {
                throw new HubException("cannot write " + part + ": " + e.getCause().getMessage(), e);
            }
            return have;
        }
    }

    /** GET with redirects followed here: the token only goes to the hub's own host. */
    private HttpResponse<InputStream> get(URI uri, long from, String repo, String path) throws IOException {
        if (settings.offline()) throw new HubException("HF_HUB_OFFLINE is set: cannot reach " + settings.endpoint() + " for " + repo);
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET().timeout(Duration.ofMinutes(2)).header("User-Agent", "vera4j");
            if (settings.token() != null && sameOrigin(uri, endpoint)) b.header("Authorization", "Bearer " + settings.token());
            if (from > 0) b.header("Range", "bytes=" + from + "-");
            HttpResponse<InputStream> r;
            try {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HubException("interrupted while fetching " + uri, e);
            }
            int code = r.statusCode();
            if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
                URI redirecting = uri;
                try (InputStream ignored = r.body()) {
                    String location = r.headers().firstValue("location").orElseThrow(() -> new HubException("redirect without a Location from " + redirecting));
                    uri = uri.resolve(uri(location));
                } catch (IOException e) {
                    // the redirect's body is not needed
                }
                continue;
            }
            return r;
        }
        throw new HubException("more than " + MAX_REDIRECTS + " redirects fetching " + (path == null ? repo : repo + "/" + path));
    }

    private HubException failure(int code, HttpResponse<?> r, String repo, String path) {
        String what = path == null ? repo : repo + "/" + path;
        String errorCode = r.headers().firstValue("x-error-code").orElse("");
        String hubMessage = r.headers().firstValue("x-error-message").map(m -> " (" + m + ")").orElse("");
        if (errorCode.equals("RepositoryNotFound") || (code == 404 && path == null)) {
            return new HubException("repository " + repo + " not found on " + settings.endpoint()
                    + (settings.token() == null ? " (a private one needs HF_TOKEN)" : ""));
        }
        if (errorCode.equals("GatedRepo")) {
            return new HubException(repo + " is gated: accept its terms on " + settings.endpoint() + "/" + repo
                    + (settings.token() == null ? " and set HF_TOKEN" : " with the account of HF_TOKEN") + hubMessage);
        }
        if (code == 401) {
            return new HubException(settings.token() == null
                    ? what + " needs a Hugging Face token (HTTP 401): set HF_TOKEN (or log in with huggingface-cli)" + hubMessage
                    : "the hub rejected HF_TOKEN for " + what + " (HTTP 401)" + hubMessage);
        }
        if (code == 403) return new HubException("access to " + what + " denied (HTTP 403): check the token's permissions" + hubMessage);
        if (code == 404) return new HubException(what + " not found on " + settings.endpoint() + hubMessage);
        return new HubException("HTTP " + code + " from " + settings.endpoint() + " for " + what + hubMessage);
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getAuthority().equalsIgnoreCase(b.getAuthority());
    }

    private URI uri(String s) {
        try {
            return endpoint.resolve(new URI(s));
        } catch (java.net.URISyntaxException e) {
            throw new HubException("the hub sent a bad URL: " + s);
        }
    }

    private static String encodePath(String path) {
        List<String> segs = new ArrayList<>();
        for (String s : path.split("/")) segs.add(URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"));
        return String.join("/", segs);
    }

    private static MessageDigest digestFor(HubFile f) {
        try {
            if (f.sha256() != null) return MessageDigest.getInstance("SHA-256");
            MessageDigest d = MessageDigest.getInstance("SHA-1");
            d.update(blobHeader(f));
            return d;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Git hashes {@code "blob SIZE\0"} before a file's bytes. */
    private static byte[] blobHeader(HubFile f) { return ("blob " + f.size() + "\0").getBytes(StandardCharsets.US_ASCII); }

    private static void hashExisting(Path part, long length, MessageDigest digest) throws IOException {
        if (length == 0) return;
        try (InputStream in = Files.newInputStream(part)) {
            byte[] buf = new byte[1 << 20];
            long left = length;
            int n;
            while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
                digest.update(buf, 0, n);
                left -= n;
            }
        }
    }

    private static String message(Throwable e) { return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(); }
}
