package dev.plinth.io.safetensors;

import dev.plinth.tensor.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * The dtype names of the safetensors format, in the order of Hugging Face's {@code Dtype} enum
 * (increasing alignment): its writer sorts tensors by this order, descending, then by name.
 * {@code plinth} is the Plinth type, or null where {@link DType} has none.
 */
enum StDType {
    BOOL(1, null),
    U8(1, null),
    I8(1, DType.I8),
    F8_E5M2(1, null),
    F8_E4M3(1, null),
    I16(2, DType.I16),
    U16(2, null),
    F16(2, DType.F16),
    BF16(2, DType.BF16),
    I32(4, DType.I32),
    U32(4, null),
    F32(4, DType.F32),
    F64(8, DType.F64),
    I64(8, DType.I64),
    U64(8, null);

    final int size;
    final DType plinth;

    StDType(int size, DType plinth) {
        this.size = size;
        this.plinth = plinth;
    }

    /** The safetensors name of a Plinth type, or null when safetensors cannot hold it. */
    static StDType of(DType t) {
        for (StDType s : values()) {
            if (s.plinth == t) {
                return s;
            }
        }
        return null;
    }

    static StDType byName(String name) {
        for (StDType s : values()) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    /** "F32, F16, ..." for error messages. */
    static String supportedNames() {
        List<String> names = new ArrayList<>();
        for (DType t : DType.values()) {
            StDType s = of(t);
            if (s != null) {
                names.add(s.name());
            }
        }
        return String.join(", ", names);
    }
}
