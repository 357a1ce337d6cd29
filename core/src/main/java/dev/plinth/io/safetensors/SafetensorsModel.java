package dev.plinth.io.safetensors;

import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Tensors stored in safetensors form: one file ({@link SafetensorsFile}) or a model sharded over
 * several files listed by a {@code model.safetensors.index.json} ({@link ShardedSafetensors}).
 * Tensor data stay memory-mapped and are handed out without copying; close to unmap.
 */
public sealed interface SafetensorsModel extends AutoCloseable permits SafetensorsFile, ShardedSafetensors {

    /** Name of the index file of a sharded Hugging Face model. */
    String INDEX_FILE = "model.safetensors.index.json";
    /** Name of the single weights file of an unsharded Hugging Face model. */
    String SINGLE_FILE = "model.safetensors";

    /**
     * A tensor's header entry. {@code shape} is row-major as stored; {@code fileOffset} is where its
     * {@code byteSize} bytes start in {@code file}.
     */
    record TensorInfo(String name, DType dtype, long[] shape, long byteSize, Path file, long fileOffset) {
        public TensorInfo {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long elementCount() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /**
     * Opens a {@code .safetensors} file, a {@code model.safetensors.index.json}, or a folder holding
     * either (the index wins when both are present).
     */
    static SafetensorsModel open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            Path index = path.resolve(INDEX_FILE);
            if (Files.isRegularFile(index)) {
                return ShardedSafetensors.open(index);
            }
            Path single = path.resolve(SINGLE_FILE);
            if (Files.isRegularFile(single)) {
                return SafetensorsFile.open(single);
            }
            throw new ModelFormatException(path, null, -1,
                    "folder holds neither " + INDEX_FILE + " nor " + SINGLE_FILE);
        }
        if (path.getFileName() != null && path.getFileName().toString().endsWith(".json")) {
            return ShardedSafetensors.open(path);
        }
        return SafetensorsFile.open(path);
    }

    /** All tensors, in file order (shard by shard for a sharded model). */
    List<TensorInfo> tensorInfos();

    /** The entry of {@code name}, or null. */
    TensorInfo tensorInfo(String name);

    /** The tensor called {@code name}, its data a slice of the mapping (no copy), or null. */
    Tensor tensor(String name);

    /** The {@code __metadata__} string map (of the first shard for a sharded model), in file order. */
    Map<String, String> metadata();

    /** All tensors, zero-copy, in {@link #tensorInfos()} order. */
    default List<Tensor> tensors() {
        return tensorInfos().stream().map(i -> tensor(i.name())).toList();
    }

    @Override
    void close();
}
