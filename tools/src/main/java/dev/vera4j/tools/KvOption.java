package dev.vera4j.tools;

import dev.vera4j.engine.kv.KvType;

import java.util.Locale;

/**
 * The {@code --kv-type f16|f32} option shared by the commands that run a model.
 *
 * <pre>{@code
 * KvType kv = KvOption.of(args);   // F16 unless --kv-type f32
 * }</pre>
 */
final class KvOption {
    private KvOption() {}

    /** @throws UsageException for a value other than f16 or f32 */
    static KvType of(Args a) {
        return switch (a.get("kv-type", "f16").toLowerCase(Locale.ROOT)) {
            case "f16" -> KvType.F16;
            case "f32" -> KvType.F32;
            default -> throw new UsageException("--kv-type must be f16 or f32, got '" + a.get("kv-type") + "'");
        };
    }
}
