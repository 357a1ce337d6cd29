package dev.plinth.model.convert;

import dev.plinth.tensor.DType;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The file types {@code plinth quantize} writes, each with its base tensor type and the
 * {@code LLAMA_FTYPE} value llama.cpp stores in {@code general.file_type}.
 */
public enum QuantType {
    F32(DType.F32, 0),
    F16(DType.F16, 1),
    BF16(DType.BF16, 32),
    Q8_0(DType.Q8_0, 7),
    Q4_0(DType.Q4_0, 2),
    Q4_1(DType.Q4_1, 3),
    Q5_0(DType.Q5_0, 8),
    Q5_1(DType.Q5_1, 9),
    Q4_K_M(DType.Q4_K, 15),
    Q5_K_M(DType.Q5_K, 17),
    Q6_K(DType.Q6_K, 18);

    private final DType base;
    private final int llamaFtype;

    QuantType(DType base, int llamaFtype) {
        this.base = base;
        this.llamaFtype = llamaFtype;
    }

    /** The type most weight matrices get. */
    public DType base() {
        return base;
    }

    /** llama.cpp's {@code enum llama_ftype} value, written as {@code general.file_type}. */
    public int llamaFtype() {
        return llamaFtype;
    }

    /** The lower-case name used on the command line: {@code q4_k_m}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a command-line name, case-insensitively. */
    public static QuantType parse(String name) {
        for (QuantType t : values()) {
            if (t.cliName().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown quantization type '" + name + "'; expected one of "
                + Arrays.stream(values()).map(QuantType::cliName).collect(Collectors.joining(", ")));
    }
}
