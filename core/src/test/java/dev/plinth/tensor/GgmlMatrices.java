package dev.plinth.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.plinth.LlamaCppLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * llama.cpp's own quantizers and dequantizers (libggml-base), called through java.lang.foreign:
 * the reference for block layouts that nobody here wrote. Skips the calling test when the library
 * is not installed.
 */
final class GgmlMatrices {
    private static final Linker LINKER = Linker.nativeLinker();

    private final MethodHandle quantizeChunk;
    private final MethodHandle quantizeInit;
    private final MethodHandle typeTraits;

    GgmlMatrices() {
        SymbolLookup lib = LlamaCppLibrary.ggmlBase();
        quantizeChunk = LINKER.downcallHandle(lib.find("ggml_quantize_chunk").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        quantizeInit = LINKER.downcallHandle(lib.find("ggml_quantize_init").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        typeTraits = LINKER.downcallHandle(lib.find("ggml_get_type_traits").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    /** {@code rows} rows of {@code perRow} values quantized by ggml, as a heap segment. */
    MemorySegment quantize(DType type, float[] src, int rows, int perRow) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_FLOAT, src);
            long bytes = type.byteSize((long) rows * perRow);
            MemorySegment out = arena.allocate(bytes, 64);
            quantizeInit.invokeExact(type.ggmlId());
            long written = (long) quantizeChunk.invokeExact(type.ggmlId(), in, out, 0L, (long) rows, (long) perRow,
                    MemorySegment.NULL);
            assertEquals(bytes, written, "ggml_quantize_chunk size for " + type);
            byte[] heap = new byte[(int) bytes];
            MemorySegment.copy(out, ValueLayout.JAVA_BYTE, 0, heap, 0, heap.length);
            return MemorySegment.ofArray(heap);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code count} values decoded by ggml's to_float for {@code type}. */
    float[] dequantize(DType type, MemorySegment data, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment traits = ((MemorySegment) typeTraits.invokeExact(type.ggmlId())).reinterpret(56);
            // struct ggml_type_traits { char* type_name; int64 blck_size; int64 blck_size_interleave;
            // size_t type_size; bool is_quantized; to_float_t to_float; from_float_t from_float_ref; }
            assertEquals(type.blockSize(), traits.get(ValueLayout.JAVA_LONG, 8), "ggml block size of " + type);
            assertEquals(type.blockBytes(), traits.get(ValueLayout.JAVA_LONG, 24), "ggml type size of " + type);
            MemorySegment toFloat = traits.get(ValueLayout.ADDRESS, 40);
            MethodHandle h = LINKER.downcallHandle(toFloat,
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            long bytes = type.byteSize(count);
            MemorySegment in = arena.allocate(bytes, 64);
            MemorySegment.copy(data, 0, in, 0, bytes);
            MemorySegment out = arena.allocate(4L * count, 64);
            h.invokeExact(in, out, (long) count);
            return out.toArray(ValueLayout.JAVA_FLOAT);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
