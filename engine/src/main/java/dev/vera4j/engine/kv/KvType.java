package dev.vera4j.engine.kv;

/** Element type of a {@link KvCache}: F16 halves the memory at a small cost in precision. */
public enum KvType { F32, F16 }
