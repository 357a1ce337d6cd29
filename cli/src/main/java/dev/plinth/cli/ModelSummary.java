package dev.plinth.cli;

import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.gguf.GgufType;
import dev.plinth.io.gguf.GgufValue;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code plinth inspect} reports about a model file, independent of the file's format.
 * Metadata values are plain Java: String, Integer, Long, BigInteger (uint64 above Long.MAX_VALUE),
 * Float, Double, Boolean, or a List of those.
 */
record ModelSummary(Path file, String format, String architecture, Map<String, Object> metadata,
                    List<TensorRow> tensors) {

    /** One tensor: {@code shape} is row-major, outermost dimension first. */
    record TensorRow(String name, String dtype, long[] shape, long bytes) {
        TensorRow {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        long elements() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    ModelSummary {
        metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        tensors = List.copyOf(tensors);
    }

    long parameterCount() {
        long n = 0;
        for (TensorRow t : tensors) {
            n = Math.addExact(n, t.elements());
        }
        return n;
    }

    long tensorBytes() {
        long n = 0;
        for (TensorRow t : tensors) {
            n = Math.addExact(n, t.bytes());
        }
        return n;
    }

    static ModelSummary of(Path file, GgufFile gguf) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        gguf.metadata().forEach((key, value) -> metadata.put(key, plain(value.type(), value.value())));
        List<TensorRow> tensors = new ArrayList<>();
        for (GgufFile.TensorInfo t : gguf.tensorInfos()) {
            tensors.add(new TensorRow(t.name(), t.dtype().name(), t.shape(), t.byteSize()));
        }
        return new ModelSummary(file, "GGUF v" + gguf.version(),
                gguf.getString("general.architecture", null), metadata, tensors);
    }

    private static Object plain(GgufType type, Object value) {
        return switch (value) {
            case GgufValue.GgufArray array -> {
                List<Object> out = new ArrayList<>(array.elements().size());
                for (Object e : array.elements()) {
                    out.add(plain(array.elementType(), e));
                }
                yield out;
            }
            case Long l when type == GgufType.UINT64 && l < 0 -> new BigInteger(Long.toUnsignedString(l));
            default -> value;
        };
    }
}
