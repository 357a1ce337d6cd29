package dev.plinth.model.convert;

import dev.plinth.LlamaCppLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * llama.cpp's {@code llama_model_quantize} (libllama v0.4.0 through java.lang.foreign) with its
 * default parameters but the file type and thread count: the reference for {@link GgufQuantizer}.
 * Test scope only; skips when the library is absent.
 */
final class LlamaQuantize {
    private static final Linker LINKER = Linker.nativeLinker();
    /**
     * llama_model_quantize_params is returned in memory (it is over 16 bytes); the buffer is larger
     * than any release's struct so that the callee never writes past it. Offsets used: nthread 0,
     * ftype 4, quantize_output_tensor 17 — the same in every release that has the struct.
     */
    private static final StructLayout PARAMS = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_LONG));

    private static MethodHandle defaults;
    private static MethodHandle quantize;

    private LlamaQuantize() {
    }

    private static void ignoreLog(int level, MemorySegment text, MemorySegment user) {
    }

    /** Quantizes {@code in} to {@code out} as llama-quantize does with {@code --type} of {@code type}. */
    static void run(Path in, Path out, QuantType type) throws Throwable {
        init();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = (MemorySegment) defaults.invokeExact((SegmentAllocator) arena);
            if (p.get(ValueLayout.JAVA_BYTE, 17) != 1 || p.get(ValueLayout.JAVA_BYTE, 16) != 0) {
                throw new IllegalStateException("llama_model_quantize_params defaults do not match the expected layout");
            }
            p.set(ValueLayout.JAVA_INT, 0, 2);
            p.set(ValueLayout.JAVA_INT, 4, type.llamaFtype());
            int rc = (int) quantize.invokeExact(arena.allocateFrom(in.toString()), arena.allocateFrom(out.toString()), p);
            if (rc != 0) {
                throw new IllegalStateException("llama_model_quantize returned " + rc);
            }
        }
    }

    private static synchronized void init() {
        if (defaults != null) {
            return;
        }
        SymbolLookup lib = LlamaCppLibrary.llama();
        try {
            // llama-quantize prints every tensor; keep the test output readable
            MethodHandle quiet = java.lang.invoke.MethodHandles.lookup().findStatic(LlamaQuantize.class, "ignoreLog",
                    java.lang.invoke.MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class));
            FunctionDescriptor logFn = FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
            LINKER.downcallHandle(lib.findOrThrow("llama_log_set"), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS)).invokeExact(LINKER.upcallStub(quiet, logFn, Arena.global()), MemorySegment.NULL);
        } catch (Throwable t) {
            throw new AssertionError("llama_log_set", t);
        }
        defaults = LINKER.downcallHandle(lib.findOrThrow("llama_model_quantize_default_params"),
                FunctionDescriptor.of(PARAMS));
        quantize = LINKER.downcallHandle(lib.findOrThrow("llama_model_quantize"), FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    }
}
