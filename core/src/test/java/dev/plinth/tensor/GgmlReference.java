package dev.plinth.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

import dev.plinth.LlamaCppLibrary;

/**
 * ggml's own quantizers and converters from llama.cpp's {@code libggml-base.so}, called through
 * java.lang.foreign. Constructing one skips the calling test when the library is absent.
 */
final class GgmlReference {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final FunctionDescriptor ROW = FunctionDescriptor.ofVoid(
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);

    private final SymbolLookup lib;
    private final MethodHandle quantizeChunk;

    GgmlReference() {
        lib = LlamaCppLibrary.ggmlBase();
        quantizeChunk = LINKER.downcallHandle(symbol("ggml_quantize_chunk"), FunctionDescriptor.of(
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    }

    private MemorySegment symbol(String name) {
        return lib.find(name).orElseThrow(() -> new AssertionError("libggml-base.so exports no " + name));
    }

    /** ggml's lower-case type name as used in its function names: q4_0, q4_K, ... */
    static String ggmlName(DType type) {
        String n = type.name().toLowerCase(Locale.ROOT);
        return n.endsWith("_k") ? n.substring(0, n.length() - 1) + "K" : n;
    }

    /** Calls a row function {@code name(const void *x, void *y, int64_t k)}. */
    void row(String name, MemorySegment x, MemorySegment y, long k) {
        MethodHandle h = LINKER.downcallHandle(symbol(name), ROW);
        try {
            h.invokeExact(x, y, k);
        } catch (Throwable e) {
            throw new AssertionError(name, e);
        }
    }

    void quantizeRowRef(DType type, MemorySegment x, MemorySegment y, long k) {
        row("quantize_row_" + ggmlName(type) + "_ref", x, y, k);
    }

    void dequantizeRow(DType type, MemorySegment x, MemorySegment y, long k) {
        row("dequantize_row_" + ggmlName(type), x, y, k);
    }

    /** Whether ggml has a {@code dequantize_row_<type>} (it has none for Q8_1). */
    boolean hasDequantizeRow(DType type) {
        return lib.find("dequantize_row_" + ggmlName(type)).isPresent();
    }

    /** {@code ggml_quantize_chunk(type, src, dst, 0, nrows, nPerRow, NULL)}; returns bytes written. */
    long quantizeChunk(DType type, MemorySegment src, MemorySegment dst, long nrows, long nPerRow) {
        try {
            return (long) quantizeChunk.invokeExact(type.ggmlId(), src, dst, 0L, nrows, nPerRow, MemorySegment.NULL);
        } catch (Throwable e) {
            throw new AssertionError("ggml_quantize_chunk", e);
        }
    }

    static MemorySegment copyOf(Arena arena, float[] x) {
        MemorySegment s = arena.allocate(4L * x.length, 64);
        MemorySegment.copy(x, 0, s, ValueLayout.JAVA_FLOAT, 0, x.length);
        return s;
    }
}
