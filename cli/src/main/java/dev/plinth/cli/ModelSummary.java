package dev.plinth.cli;

import dev.plinth.io.ModelFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code plinth inspect} reports about a model, gathered from a {@link ModelFile} so that it
 * outlives the file's mapping. Metadata values are plain Java as {@link ModelFile#metadata} gives them.
 */
record ModelSummary(Path file, String format, String architecture, Map<String, Object> metadata,
                    List<TensorRow> tensors, long parameterCount, long tensorBytes) {

    /** One tensor: {@code shape} is row-major, outermost dimension first. */
    record TensorRow(String name, String dtype, long[] shape, long bytes) {
        TensorRow {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    ModelSummary {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        tensors = List.copyOf(tensors);
    }

    static ModelSummary of(ModelFile model) {
        List<TensorRow> tensors = new ArrayList<>(model.tensorInfos().size());
        for (ModelFile.TensorInfo t : model.tensorInfos()) {
            tensors.add(new TensorRow(t.name(), t.dtype().name(), t.shape(), t.byteSize()));
        }
        return new ModelSummary(model.path(), model.format().displayName(), model.architecture().orElse(null),
                model.metadata(), tensors, model.parameterCount(), model.tensorBytes());
    }
}
