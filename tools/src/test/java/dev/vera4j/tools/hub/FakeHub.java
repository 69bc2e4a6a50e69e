package dev.vera4j.tools.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face Hub on 127.0.0.1 answering the endpoints {@link HubClient} uses as the hub does: the tree listing
 * ({@code GET /api/models/OWNER/NAME/tree/main?recursive=true}, pages of {@link #pageSize} linked by
 * {@code Link: <...>; rel="next"}), and {@code /OWNER/NAME/resolve/main/PATH}, answered by a 302 to a relative
 * {@code /api/resolve-cache/...} URL which answers a 302 to a second server (the "CDN", another origin, a bare socket
 * server) that serves the bytes with {@code Range} support. Repositories may require a token (401 with {@code X-Error-Code}), a listed sha256 may
 * be wrong, and the CDN may drop the connection mid-file.
 */
public final class FakeHub implements AutoCloseable {
    /** One request as the servers saw it. */
    public record Request(String server, String path, String range, String authorization) {}

    private final HttpServer hub;
    private final ServerSocket cdn;
    private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
    private final Map<String, Map<String, byte[]>> repos = new LinkedHashMap<>();
    private final Map<String, String> wrongSha = new LinkedHashMap<>();
    public final List<Request> requests = new CopyOnWriteArrayList<>();
    volatile String requiredToken;
    volatile int pageSize = 2;
    /** Bytes after which the CDN's next full or ranged answer for that path is cut (one time each). */
    final Map<String, Long> dropAfter = new java.util.concurrent.ConcurrentHashMap<>();
    /** Bytes after which the CDN's next answer for that path sends nothing more but keeps the connection open. */
    final Map<String, Long> stallAfter = new java.util.concurrent.ConcurrentHashMap<>();

    public FakeHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        cdn = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        hub.createContext("/", this::onHub);
        hub.start();
        Thread.ofPlatform().daemon().name("fake-cdn").start(this::serveCdn);
    }

    public String endpoint() { return "http://127.0.0.1:" + hub.getAddress().getPort(); }

    public void put(String repo, String path, byte[] bytes) { repos.computeIfAbsent(repo, r -> new LinkedHashMap<>()).put(path, bytes); }

    /** Lists {@code path} with a sha256 that is not its content's. */
    void listWrongSha(String path) { wrongSha.put(path, "00".repeat(32)); }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final Pattern TREE = Pattern.compile("/api/models/([^/]+/[^/]+)/tree/main");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/main/(.+)");
    private static final Pattern CACHE = Pattern.compile("/api/resolve-cache/models/([^/]+/[^/]+)/[0-9a-f]+/(.+)");

    private void onHub(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        requests.add(new Request("hub", path, x.getRequestHeaders().getFirst("Range"), x.getRequestHeaders().getFirst("Authorization")));
        Matcher m;
        String repo = (m = TREE.matcher(path)).matches() || (m = RESOLVE.matcher(path)).matches() || (m = CACHE.matcher(path)).matches() ? m.group(1) : null;
        if (repo == null || !repos.containsKey(repo)) {
            x.getResponseHeaders().add("X-Error-Code", "RepositoryNotFound");
            send(x, 401, "{\"error\":\"Repository not found\"}");
            return;
        }
        if (requiredToken != null && !("Bearer " + requiredToken).equals(x.getRequestHeaders().getFirst("Authorization"))) {
            x.getResponseHeaders().add("X-Error-Message", "Invalid credentials in Authorization header");
            send(x, 401, "{\"error\":\"Invalid credentials in Authorization header\"}");
            return;
        }
        Map<String, byte[]> files = repos.get(repo);
        if ((m = TREE.matcher(path)).matches()) {
            String q = x.getRequestURI().getQuery();
            int start = q != null && q.contains("cursor=") ? Integer.parseInt(q.replaceAll(".*cursor=(\\d+).*", "$1")) : 0;
            List<String> names = new ArrayList<>(files.keySet());
            int end = Math.min(names.size(), start + pageSize);
            List<String> items = new ArrayList<>();
            for (String name : names.subList(start, end)) {
                byte[] b = files.get(name);
                String lfs = name.endsWith(".gguf") ? ",\"lfs\":{\"oid\":\"" + wrongSha.getOrDefault(name, sha256(b)) + "\",\"size\":" + b.length
                        + ",\"pointerSize\":135}" : "";
                items.add("{\"type\":\"file\",\"oid\":\"" + gitOid(b) + "\",\"size\":" + b.length + ",\"path\":\"" + name + "\"" + lfs + "}");
            }
            if (end < names.size()) {
                x.getResponseHeaders().add("Link", "<" + endpoint() + "/api/models/" + repo + "/tree/main?recursive=true&cursor=" + end + ">; rel=\"next\"");
            }
            send(x, 200, "[" + String.join(",", items) + "]");
        } else if ((m = RESOLVE.matcher(path)).matches()) {
            if (!files.containsKey(m.group(2))) {
                x.getResponseHeaders().add("X-Error-Code", "EntryNotFound");
                send(x, 404, "Entry not found");
                return;
            }
            x.getResponseHeaders().add("Location", "/api/resolve-cache/models/" + repo + "/0123abcd/" + m.group(2));
            send(x, 302, "");
        } else {
            m = CACHE.matcher(path);
            m.matches();
            x.getResponseHeaders().add("Location", "http://127.0.0.1:" + cdn.getLocalPort() + "/" + repo + "/" + m.group(2));
            send(x, 302, "");
        }
    }

    /** The CDN: a bare HTTP/1.1 server on a socket, so that it can cut or stall a body as a failing network does. */
    private void serveCdn() {
        while (!cdn.isClosed()) {
            Socket accepted;
            try {
                accepted = cdn.accept();
            } catch (IOException e) {
                return;   // closed
            }
            Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = accepted) {
                    onCdn(s);
                } catch (IOException e) {
                    // a dropped connection
                }
            });
        }
    }

    private void onCdn(Socket s) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
        String requestLine = in.readLine();
        if (requestLine == null) return;
        Map<String, String> headers = new java.util.HashMap<>();
        for (String h; (h = in.readLine()) != null && !h.isEmpty(); ) {
            int c = h.indexOf(':');
            headers.put(h.substring(0, c).strip().toLowerCase(java.util.Locale.ROOT), h.substring(c + 1).strip());
        }
        String path = requestLine.split(" ")[1];
        String range = headers.get("range");
        requests.add(new Request("cdn", path, range, headers.get("authorization")));
        String[] p = path.substring(1).split("/", 3);
        byte[] b = repos.get(p[0] + "/" + p[1]).get(p[2]);
        long from = range == null ? 0 : Long.parseLong(range.replaceAll("bytes=(\\d+)-", "$1"));
        OutputStream out = s.getOutputStream();
        if (from >= b.length) {
            out.write(("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" + b.length + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            return;
        }
        String head = (range != null ? "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + from + "-" + (b.length - 1) + "/" + b.length + "\r\n"
                : "HTTP/1.1 200 OK\r\n") + "Content-Length: " + (b.length - from) + "\r\nConnection: close\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        Long cut = dropAfter.remove(p[2]);
        Long stop = stallAfter.remove(p[2]);
        long n = cut != null ? Math.min(cut, b.length - from) : stop != null ? Math.min(stop, b.length - from) : b.length - from;
        out.write(b, (int) from, (int) n);
        out.flush();
        if (stop != null) {
            try {
                closed.await();   // send nothing more, keep the connection open: the client must notice by itself
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // returning closes the socket: after a cut, the client sees fewer bytes than Content-Length
    }

    private static String gitOid(byte[] b) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-1");
            d.update(("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(d.digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void send(HttpExchange x, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
        if (b.length > 0) try (OutputStream out = x.getResponseBody()) { out.write(b); }
        x.close();
    }

    @Override
    public void close() {
        closed.countDown();
        hub.stop(0);
        try {
            cdn.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
