/**
 * The OpenAI-compatible HTTP server over the engine's batching scheduler ({@code com.sun.net.httpserver}), with a
 * VeRA adapter per request.
 */
module dev.vera4j.server {
    requires transitive dev.vera4j.vera;
    requires jdk.httpserver;

    exports dev.vera4j.server;
}
