package dev.vera4j.vera.peft;

import java.util.Optional;

/**
 * Element types of the safetensors format with a whole number of bytes per element. The declaration order is the
 * reference implementation's ({@code safetensors::Dtype}, increasing alignment), which its writer uses to order
 * tensors (descending dtype, then name); {@link SafetensorsWriter} does the same so files come out byte-identical.
 *
 * <pre>{@code
 * SafetensorsDtype.parse("BF16")   // Optional[BF16]
 * SafetensorsDtype.F16.size()      // 2
 * }</pre>
 */
public enum SafetensorsDtype {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), F8_E8M0(1), F8_E4M3FNUZ(1), F8_E5M2FNUZ(1),
    I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4), C64(8), F64(8), I64(8), U64(8);

    private final int size;

    SafetensorsDtype(int size) {
        this.size = size;
    }

    /** Bytes per element. */
    public int size() { return size; }

    /** Whether {@link SafetensorsTensor#toFloats()} can convert this type (F32, F16, BF16, F64). */
    public boolean isFloat() {
        return this == F32 || this == F16 || this == BF16 || this == F64;
    }

    /** The dtype spelled {@code name} in a header ({@code "F32"} ...), if this reader knows it. */
    public static Optional<SafetensorsDtype> parse(String name) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }
}
