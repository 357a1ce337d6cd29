package dev.plinth.io;

import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An open model in any format Plinth reads, seen the same way: what it is, its metadata for
 * display, and its tensors (zero-copy). Opened by {@link ModelFiles#open}; close to unmap.
 */
public interface ModelFile extends AutoCloseable {

    /** A tensor as stored: {@code shape} row-major, {@code byteSize} its bytes on disk. */
    record TensorInfo(String name, DType dtype, long[] shape, long byteSize) {
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
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    /** The path that was opened (a file or a folder). */
    Path path();

    /** The format the file was read as. */
    ModelFormat format();

    /**
     * The architecture: GGUF's {@code general.architecture}, Hugging Face's {@code model_type},
     * {@code "llama"} for llama2.c; empty when the file does not say.
     */
    Optional<String> architecture();

    /**
     * Metadata in file order, values as plain Java (String, Long/Integer/Double/Float, Boolean,
     * List, Map). Long arrays (a GGUF vocabulary) are returned whole; summarising is the caller's job.
     */
    Map<String, Object> metadata();

    /** Every tensor, in file order. */
    List<TensorInfo> tensorInfos();

    /** The tensor called {@code name} (data not copied), or null. */
    Tensor tensor(String name);

    /** Total elements over all tensors (a tied output layer is counted once, as stored). */
    default long parameterCount() {
        long n = 0;
        for (TensorInfo t : tensorInfos()) {
            n = Math.addExact(n, t.elementCount());
        }
        return n;
    }

    /** Total tensor bytes. */
    default long tensorBytes() {
        long n = 0;
        for (TensorInfo t : tensorInfos()) {
            n = Math.addExact(n, t.byteSize());
        }
        return n;
    }

    @Override
    void close();
}
