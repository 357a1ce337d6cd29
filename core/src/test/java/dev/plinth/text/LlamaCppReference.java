package dev.plinth.text;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.plinth.LlamaCppLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * llama.cpp's own tokenizer (node-llama-cpp's prebuilt libllama) through java.lang.foreign, loading
 * a GGUF vocabulary only. Test-only reference. Skips the calling test when the library is absent.
 */
public final class LlamaCppReference implements AutoCloseable {
    /** llama_model_params as this build lays it out: 80 bytes, vocab_only at byte 0x48. */
    private static final long PARAMS_BYTES = 0x50;
    private static final long VOCAB_ONLY_OFFSET = 0x48;
    private static final long USE_MMAP_OFFSET = 0x4A;

    private static MethodHandle tokenize;
    private static MethodHandle load;
    private static MethodHandle free;
    private static MethodHandle getVocab;
    private static MethodHandle defaultParams;
    private static boolean initialised;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment model;
    private final MemorySegment vocab;

    private LlamaCppReference(MemorySegment model) throws Throwable {
        this.model = model;
        this.vocab = (MemorySegment) getVocab.invokeExact(model);
    }

    public static synchronized LlamaCppReference load(Path gguf) throws Throwable {
        init();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = a.allocate(PARAMS_BYTES, 8);
            MemorySegment ret = (MemorySegment) defaultParams.invokeExact((java.lang.foreign.SegmentAllocator) a);
            params.copyFrom(ret);
            if (params.get(ValueLayout.JAVA_BYTE, VOCAB_ONLY_OFFSET) != 0 || params.get(ValueLayout.JAVA_BYTE, USE_MMAP_OFFSET) != 1) {
                assumeTrue(false, "llama_model_params layout of this libllama is not the expected one");
            }
            params.set(ValueLayout.JAVA_BYTE, VOCAB_ONLY_OFFSET, (byte) 1);
            MemorySegment model = (MemorySegment) load.invokeExact(a.allocateFrom(gguf.toString()), params);
            if (model.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("llama.cpp could not load " + gguf);
            }
            return new LlamaCppReference(model);
        }
    }

    private static void init() throws Throwable {
        if (initialised) {
            return;
        }
        SymbolLookup llama = LlamaCppLibrary.llama();
        Linker linker = Linker.nativeLinker();
        MemoryLayout[] words = new MemoryLayout[(int) (PARAMS_BYTES / 8)];
        Arrays.fill(words, ValueLayout.JAVA_LONG);
        MemoryLayout paramsLayout = MemoryLayout.structLayout(words);
        // silence llama.cpp's loader log
        MethodHandle quiet = MethodHandles.lookup().findStatic(LlamaCppReference.class, "quietLog",
                MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class));
        MemorySegment callback = linker.upcallStub(quiet, FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS), Arena.global());
        linker.downcallHandle(llama.find("llama_log_set").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS)).invoke(callback, MemorySegment.NULL);
        linker.downcallHandle(llama.find("llama_backend_init").orElseThrow(), FunctionDescriptor.ofVoid()).invoke();
        defaultParams = linker.downcallHandle(llama.find("llama_model_default_params").orElseThrow(),
                FunctionDescriptor.of(paramsLayout));
        load = linker.downcallHandle(llama.find("llama_model_load_from_file").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, paramsLayout));
        free = linker.downcallHandle(llama.find("llama_model_free").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        getVocab = linker.downcallHandle(llama.find("llama_model_get_vocab").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        tokenize = linker.downcallHandle(llama.find("llama_tokenize").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_BOOLEAN, ValueLayout.JAVA_BOOLEAN));
        initialised = true;
    }

    @SuppressWarnings("unused")
    private static void quietLog(int level, MemorySegment text, MemorySegment user) {
    }

    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) throws Throwable {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment in = a.allocate(Math.max(1, utf8.length));
            in.copyFrom(MemorySegment.ofArray(utf8));
            int capacity = utf8.length + 8;
            MemorySegment out = a.allocate(ValueLayout.JAVA_INT, capacity);
            int n = (int) tokenize.invokeExact(vocab, in, utf8.length, out, capacity, addSpecial, parseSpecial);
            if (n < 0) {
                throw new IllegalStateException("llama_tokenize needs " + -n + " tokens");
            }
            return Arrays.copyOf(out.toArray(ValueLayout.JAVA_INT), n);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            free.invokeExact(model);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        arena.close();
    }
}
