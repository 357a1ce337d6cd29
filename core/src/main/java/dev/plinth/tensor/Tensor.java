package dev.plinth.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named n-dimensional array of one {@link DType}, backed by a {@link MemorySegment} that lives
 * on the heap or is memory-mapped from a model file (no copy).
 *
 * <p>{@code shape} is row-major, outermost dimension first: a weight matrix with {@code rows}
 * output features and {@code cols} input features has shape {@code [rows, cols]} and its last
 * dimension is contiguous. (GGUF lists dimensions the other way round, fastest first; readers and
 * writers convert.) Data are little-endian; block-quantized rows are whole blocks.
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {

    public Tensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    /** Number of elements (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long byteSize() {
        return dtype.byteSize(elementCount());
    }

    /** A heap-backed F32 tensor holding {@code values}, which it shares. */
    public static Tensor ofFloats(String name, float[] values, long... shape) {
        Tensor t = new Tensor(name, DType.F32, shape, MemorySegment.ofArray(values));
        if (t.elementCount() != values.length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " does not hold " + values.length + " values");
        }
        return t;
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
