package dev.plinth.bench;

import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFormat;
import dev.plinth.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A llama-architecture model held in memory, presented as a {@link ModelFile} so that benchmarks
 * can build random weights without writing a file.
 */
record InMemoryModel(String name, Map<String, Object> metadata, Map<String, Tensor> byName) implements ModelFile {

    /** A norm weight of {@code n} ones. */
    static Tensor ones(String name, int n) {
        float[] x = new float[n];
        Arrays.fill(x, 1f);
        return Tensor.ofFloats(name, x, n);
    }

    @Override
    public Path path() {
        return Path.of(name);
    }

    @Override
    public ModelFormat format() {
        return ModelFormat.GGUF;
    }

    @Override
    public Optional<String> architecture() {
        return Optional.of("llama");
    }

    @Override
    public List<TensorInfo> tensorInfos() {
        List<TensorInfo> out = new ArrayList<>();
        byName.values().forEach(t -> out.add(new TensorInfo(t.name(), t.dtype(), t.shape(), t.byteSize())));
        return out;
    }

    @Override
    public Tensor tensor(String name) {
        return byName.get(name);
    }

    @Override
    public void close() {
    }
}
