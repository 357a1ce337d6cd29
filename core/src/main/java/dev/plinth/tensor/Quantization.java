package dev.plinth.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Conversion between F32 and the GGUF storage types: F16, BF16 and the block quantizations
 * (Q4_0 ... Q8_K), bit-identical with ggml.
 *
 * <p>{@link #dequantize} matches ggml's {@code dequantize_row_*} (and {@code ggml_*_to_fp32_row})
 * float for float; {@link #quantize} matches ggml's reference quantizers
 * ({@code quantize_row_*_ref}, which is what {@code ggml_quantize_chunk} and llama-quantize run
 * without an importance matrix) byte for byte. Counts are in elements and must be whole blocks
 * ({@link DType#blockSize()}); byte offsets address the start of a block. Data are little-endian.
 *
 * <p>Supported: dequantize F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K,
 * Q5_K, Q6_K, Q8_K; quantize all of those. (ggml itself has no {@code dequantize_row_q8_1}; Plinth's
 * is the obvious q*d.)
 */
public final class Quantization {
    private Quantization() {
    }

    /** Below this many elements a tensor is converted on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1 << 16;

    /** Whether {@link #dequantize} and {@link #quantize} accept {@code type}. */
    public static boolean supports(DType type) {
        return switch (type) {
            case F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K -> true;
            default -> false;
        };
    }

    /**
     * Decodes {@code count} elements of {@code type}, stored from {@code src[srcByteOffset]}, into
     * {@code dst[dstOffset..dstOffset+count)}.
     *
     * @throws IllegalArgumentException if the type is unsupported or {@code count} is negative or
     *     not a whole number of blocks
     * @throws IndexOutOfBoundsException if either range is out of bounds
     */
    public static void dequantize(DType type, MemorySegment src, long srcByteOffset, float[] dst, int dstOffset,
            int count) {
        int blocks = checkBlocks(type, count);
        HalfFloat.checkRange(src, srcByteOffset, (long) blocks * type.blockBytes(), dst.length, dstOffset, count);
        switch (type) {
            case F32 -> MemorySegment.copy(src, LittleEndian.FLOAT, srcByteOffset, dst, dstOffset, count);
            case F16 -> HalfFloat.f16ToF32(src, srcByteOffset, dst, dstOffset, count);
            case BF16 -> HalfFloat.bf16ToF32(src, srcByteOffset, dst, dstOffset, count);
            case Q4_0 -> LegacyQuants.dequantizeQ4_0(src, srcByteOffset, dst, dstOffset, blocks);
            case Q4_1 -> LegacyQuants.dequantizeQ4_1(src, srcByteOffset, dst, dstOffset, blocks);
            case Q5_0 -> LegacyQuants.dequantizeQ5_0(src, srcByteOffset, dst, dstOffset, blocks);
            case Q5_1 -> LegacyQuants.dequantizeQ5_1(src, srcByteOffset, dst, dstOffset, blocks);
            case Q8_0 -> LegacyQuants.dequantizeQ8(src, srcByteOffset, 34, 2, dst, dstOffset, blocks);
            case Q8_1 -> LegacyQuants.dequantizeQ8(src, srcByteOffset, 36, 4, dst, dstOffset, blocks);
            case Q2_K -> KQuants.dequantizeQ2K(src, srcByteOffset, dst, dstOffset, blocks);
            case Q3_K -> KQuants.dequantizeQ3K(src, srcByteOffset, dst, dstOffset, blocks);
            case Q4_K -> KQuants.dequantizeQ4K(src, srcByteOffset, dst, dstOffset, blocks);
            case Q5_K -> KQuants.dequantizeQ5K(src, srcByteOffset, dst, dstOffset, blocks);
            case Q6_K -> KQuants.dequantizeQ6K(src, srcByteOffset, dst, dstOffset, blocks);
            case Q8_K -> KQuants.dequantizeQ8K(src, srcByteOffset, dst, dstOffset, blocks);
            default -> throw unsupported(type);
        }
    }

    /**
     * Encodes {@code src[srcOffset..srcOffset+count)} as {@code type} into {@code dst} from
     * {@code dstByteOffset}, writing {@code type.byteSize(count)} bytes.
     *
     * @throws IllegalArgumentException if the type is unsupported or {@code count} is negative or
     *     not a whole number of blocks
     * @throws IndexOutOfBoundsException if either range is out of bounds
     */
    public static void quantize(DType type, float[] src, int srcOffset, int count, MemorySegment dst,
            long dstByteOffset) {
        int blocks = checkBlocks(type, count);
        HalfFloat.checkRange(dst, dstByteOffset, (long) blocks * type.blockBytes(), src.length, srcOffset, count);
        switch (type) {
            case F32 -> MemorySegment.copy(src, srcOffset, dst, LittleEndian.FLOAT, dstByteOffset, count);
            case F16 -> HalfFloat.f32ToF16(src, srcOffset, dst, dstByteOffset, count);
            case BF16 -> HalfFloat.f32ToBf16(src, srcOffset, dst, dstByteOffset, count);
            case Q4_0 -> LegacyQuants.quantizeQ4_0(src, srcOffset, dst, dstByteOffset, blocks);
            case Q4_1 -> LegacyQuants.quantizeQ4_1(src, srcOffset, dst, dstByteOffset, blocks);
            case Q5_0 -> LegacyQuants.quantizeQ5_0(src, srcOffset, dst, dstByteOffset, blocks);
            case Q5_1 -> LegacyQuants.quantizeQ5_1(src, srcOffset, dst, dstByteOffset, blocks);
            case Q8_0 -> LegacyQuants.quantizeQ8_0(src, srcOffset, dst, dstByteOffset, blocks);
            case Q8_1 -> LegacyQuants.quantizeQ8_1(src, srcOffset, dst, dstByteOffset, blocks);
            case Q2_K -> KQuants.quantizeQ2K(src, srcOffset, dst, dstByteOffset, blocks);
            case Q3_K -> KQuants.quantizeQ3K(src, srcOffset, dst, dstByteOffset, blocks);
            case Q4_K -> KQuants.quantizeQ4K(src, srcOffset, dst, dstByteOffset, blocks);
            case Q5_K -> KQuants.quantizeQ5K(src, srcOffset, dst, dstByteOffset, blocks);
            case Q6_K -> KQuants.quantizeQ6K(src, srcOffset, dst, dstByteOffset, blocks);
            case Q8_K -> KQuants.quantizeQ8K(src, srcOffset, dst, dstByteOffset, blocks);
            default -> throw unsupported(type);
        }
    }

    /**
     * A heap-backed F32 copy of {@code t} (any supported type), same name and shape. Rows are
     * converted in parallel on {@link Parallel}'s threads.
     *
     * @throws IllegalArgumentException if the type is unsupported, rows are not whole blocks, the
     *     data segment is too small, or the result would not fit a Java array
     */
    public static Tensor toF32(Tensor t) {
        Objects.requireNonNull(t, "t");
        DType type = t.dtype();
        if (!supports(type)) {
            throw unsupported(type);
        }
        int rowLength = rowLength(t);
        long elements = t.elementCount();
        if (elements > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(t + ": " + elements + " elements do not fit a Java float array");
        }
        long rowBytes = type.byteSize(rowLength);
        int rows = rowLength == 0 ? 0 : (int) (elements / rowLength);
        requireBytes(t, (long) rows * rowBytes);
        float[] out = new float[(int) elements];
        MemorySegment data = t.data();
        forRowChunks(rows, rowLength, (from, to) -> dequantize(type, data, from * rowBytes, out,
                from * rowLength, (to - from) * rowLength));
        return Tensor.ofFloats(t.name(), out, t.shape());
    }

    /**
     * {@code f32} (an F32 tensor) encoded as {@code type}, heap-backed, same name and shape. The
     * last dimension must be a whole number of {@code type}'s blocks.
     *
     * @throws IllegalArgumentException if {@code f32} is not F32, the type is unsupported, rows are
     *     not whole blocks, the data segment is too small, or the result would not fit a Java array
     */
    public static Tensor quantize(Tensor f32, DType type) {
        Objects.requireNonNull(f32, "f32");
        Objects.requireNonNull(type, "type");
        if (f32.dtype() != DType.F32) {
            throw new IllegalArgumentException(f32 + ": quantize needs an F32 tensor");
        }
        if (!supports(type)) {
            throw unsupported(type);
        }
        int rowLength = rowLength(f32);
        if (rowLength % type.blockSize() != 0) {
            throw new IllegalArgumentException(f32 + ": rows of " + rowLength + " elements are not whole "
                    + type + " blocks of " + type.blockSize());
        }
        long elements = f32.elementCount();
        long bytes = type.byteSize(elements);
        if (bytes < 0 || bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(f32 + ": " + elements + " elements as " + type
                    + " do not fit a Java byte array");
        }
        int rows = rowLength == 0 ? 0 : (int) (elements / rowLength);
        requireBytes(f32, elements * 4);
        MemorySegment out = MemorySegment.ofArray(new byte[(int) bytes]);
        long rowBytes = type.byteSize(rowLength);
        MemorySegment data = f32.data();
        forRowChunks(rows, rowLength, (from, to) -> {
            int n = (to - from) * rowLength;
            float[] rowsF32 = new float[n];
            MemorySegment.copy(data, LittleEndian.FLOAT, (long) from * rowLength * 4, rowsF32, 0, n);
            quantize(type, rowsF32, 0, n, out, from * rowBytes);
        });
        return new Tensor(f32.name(), type, f32.shape(), out);
    }

    /** Runs {@code body} over rows [0, rows) on {@link Parallel}'s threads, when there is enough work. */
    private static void forRowChunks(int rows, int rowLength, Parallel.Range body) {
        if ((long) rows * rowLength < PARALLEL_THRESHOLD) {
            body.run(0, rows);
            return;
        }
        Parallel.parallelFor(rows, body);
    }

    private static int rowLength(Tensor t) {
        if (t.rank() == 0) {
            return 1;
        }
        long n = t.dim(t.rank() - 1);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(t + ": rows of " + n + " elements are too long");
        }
        if (n % t.dtype().blockSize() != 0) {
            throw new IllegalArgumentException(t + ": rows of " + n + " elements are not whole "
                    + t.dtype() + " blocks of " + t.dtype().blockSize());
        }
        return (int) n;
    }

    private static void requireBytes(Tensor t, long bytes) {
        if (t.data().byteSize() < bytes) {
            throw new IllegalArgumentException(t + ": data holds " + t.data().byteSize() + " bytes, "
                    + bytes + " needed");
        }
    }

    private static int checkBlocks(DType type, int count) {
        Objects.requireNonNull(type, "type");
        if (!supports(type)) {
            throw unsupported(type);
        }
        if (count < 0 || count % type.blockSize() != 0) {
            throw new IllegalArgumentException("count " + count + " is not a whole number of " + type
                    + " blocks of " + type.blockSize() + " elements");
        }
        return count / type.blockSize();
    }

    private static IllegalArgumentException unsupported(DType type) {
        return new IllegalArgumentException("no F32 conversion for " + type);
    }
}
