/**
 * Zero-dependency JSON (RFC 8259) for configuration, conversations and tool schemas: see
 * {@link dev.vera4j.engine.json.Json}.
 */
package dev.vera4j.engine.json;
