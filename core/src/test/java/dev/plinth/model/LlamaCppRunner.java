package dev.plinth.model;

import dev.plinth.LlamaCppLibrary;
import java.lang.foreign.AddressLayout;
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
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;
import java.util.List;

/**
 * llama.cpp itself (libllama from node-llama-cpp 3.21.1, llama.cpp release v0.4.0) loading a GGUF,
 * optionally with LoRA adapters, and decoding through java.lang.foreign: the reference for {@link DecoderModel}. Test scope only.
 * Struct layouts follow that release's llama.h; the defaults read back are checked against it so
 * that a layout mismatch fails loudly instead of passing garbage.
 */
public final class LlamaCppRunner implements AutoCloseable {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final AddressLayout ADDR = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfBoolean BOOL = ValueLayout.JAVA_BOOLEAN;

    /** struct llama_model_params (80 bytes). */
    public static final StructLayout MODEL_PARAMS = MemoryLayout.structLayout(ADDR, ADDR, I32, I32, I32, I32, I32,
            MemoryLayout.paddingLayout(4), ADDR, ADDR, ADDR, ADDR, BOOL, BOOL, BOOL, BOOL, BOOL, BOOL,
            MemoryLayout.paddingLayout(2));
    /** struct llama_context_params (160 bytes). */
    public static final StructLayout CONTEXT_PARAMS = MemoryLayout.structLayout(
            I32, I32, I32, I32, I32, I32, I32, I32, I32, // n_ctx .. n_threads_batch
            I32, I32, I32, I32, I32,                      // ctx_type, rope_scaling, pooling, attention, flash_attn
            ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT,
            ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT, I32, ValueLayout.JAVA_FLOAT,
            ADDR, ADDR, I32, I32, ADDR, ADDR, BOOL, BOOL, BOOL, BOOL, BOOL, BOOL, MemoryLayout.paddingLayout(2),
            ADDR, ValueLayout.JAVA_LONG, ADDR);
    /** struct llama_batch (56 bytes). */
    public static final StructLayout BATCH = MemoryLayout.structLayout(I32, MemoryLayout.paddingLayout(4), ADDR, ADDR,
            ADDR, ADDR, ADDR, ADDR);

    private static MethodHandle modelDefaults, contextDefaults, loadModel, initContext, batchGetOne, decode, logitsIth,
            getVocab, nTokens, freeContext, freeModel, loraInit, setLoras, getMemory, memoryClear;
    private static final StringBuilder LOG = new StringBuilder();

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment model;
    private final MemorySegment context;
    private final int vocab;

    /** Loads {@code gguf} on the CPU with an F32 KV cache and no flash attention; skips when llama.cpp is absent. */
    public LlamaCppRunner(Path gguf, int contextLength, int threads) throws Throwable {
        this(gguf, contextLength, threads, List.of(), new float[0]);
    }

    /**
     * As {@link #LlamaCppRunner(Path, int, int)}, with the LoRA adapter GGUFs {@code adapters} loaded
     * ({@code llama_adapter_lora_init}) and applied to the context with {@code scales}
     * ({@code llama_set_adapters_lora}). The model frees its adapters with itself.
     */
    public LlamaCppRunner(Path gguf, int contextLength, int threads, List<Path> adapters, float[] scales)
            throws Throwable {
        init();
        log(); // drop what earlier models logged
        MemorySegment mp = (MemorySegment) modelDefaults.invokeExact((SegmentAllocator) arena);
        model = (MemorySegment) loadModel.invokeExact(arena.allocateFrom(gguf.toString()), mp);
        if (model.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("llama.cpp rejected " + gguf + ":\n" + log());
        }
        MemorySegment cp = (MemorySegment) contextDefaults.invokeExact((SegmentAllocator) arena);
        checkDefaults(cp);
        cp.set(I32, 0, contextLength);
        cp.set(I32, 4, contextLength);   // n_batch
        cp.set(I32, 8, contextLength);   // n_ubatch
        cp.set(I32, 28, threads);
        cp.set(I32, 32, threads);
        cp.set(I32, 52, 0);              // flash_attn_type = DISABLED
        cp.set(I32, 104, 0);             // type_k = GGML_TYPE_F32
        cp.set(I32, 108, 0);             // type_v = GGML_TYPE_F32
        context = (MemorySegment) initContext.invokeExact(model, cp);
        if (context.equals(MemorySegment.NULL)) {
            freeModel.invokeExact(model);
            throw new IllegalStateException("llama.cpp could not create a context:\n" + log());
        }
        vocab = (int) nTokens.invokeExact((MemorySegment) getVocab.invokeExact(model));
        if (!adapters.isEmpty()) {
            applyAdapters(adapters, scales);
        }
    }

    private void applyAdapters(List<Path> adapters, float[] scales) throws Throwable {
        MemorySegment handles = arena.allocate(ADDR, adapters.size());
        for (int i = 0; i < adapters.size(); i++) {
            MemorySegment a = (MemorySegment) loraInit.invokeExact(model, arena.allocateFrom(adapters.get(i).toString()));
            if (a.equals(MemorySegment.NULL)) {
                close();
                throw new IllegalStateException("llama.cpp rejected the adapter " + adapters.get(i) + ":\n" + log());
            }
            handles.setAtIndex(ADDR, i, a);
        }
        int rc = (int) setLoras.invokeExact(context, handles, (long) adapters.size(), arena.allocateFrom(ValueLayout.JAVA_FLOAT, scales));
        if (rc != 0) {
            close();
            throw new IllegalStateException("llama_set_adapters_lora returned " + rc + ":\n" + log());
        }
    }

    public int vocabSize() {
        return vocab;
    }

    /** Decodes {@code tokens} after what was decoded before; returns the logits of the last one. */
    public float[] decode(int[] tokens) throws Throwable {
        MemorySegment ids = arena.allocateFrom(I32, tokens);
        MemorySegment batch = (MemorySegment) batchGetOne.invokeExact((SegmentAllocator) arena, ids, tokens.length);
        int rc = (int) decode.invokeExact(context, batch);
        if (rc != 0) {
            throw new IllegalStateException("llama_decode returned " + rc + ":\n" + log());
        }
        MemorySegment p = (MemorySegment) logitsIth.invokeExact(context, -1);
        return p.reinterpret((long) vocab * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT);
    }

    /**
     * Decodes {@code tokens} from an empty cache in one batch of their own ({@code llama_batch} with
     * every position's logits requested) and returns the logits of every position, {@code [tokens, vocab]}.
     */
    public float[][] decodeEveryPosition(int[] tokens) throws Throwable {
        clear();
        try (Arena call = Arena.ofConfined()) {
            int n = tokens.length;
            MemorySegment pos = call.allocate(I32, n);
            MemorySegment nSeq = call.allocate(I32, n);
            MemorySegment seqIds = call.allocate(ADDR, n);
            MemorySegment seqZero = call.allocateFrom(I32, 0);
            MemorySegment wantLogits = call.allocate(ValueLayout.JAVA_BYTE, n);
            for (int i = 0; i < n; i++) {
                pos.setAtIndex(I32, i, i);
                nSeq.setAtIndex(I32, i, 1);
                seqIds.setAtIndex(ADDR, i, seqZero);
                wantLogits.set(ValueLayout.JAVA_BYTE, i, (byte) 1);
            }
            MemorySegment batch = call.allocate(BATCH);
            batch.set(I32, 0, n);
            batch.set(ADDR, 8, call.allocateFrom(I32, tokens));
            batch.set(ADDR, 16, MemorySegment.NULL);
            batch.set(ADDR, 24, pos);
            batch.set(ADDR, 32, nSeq);
            batch.set(ADDR, 40, seqIds);
            batch.set(ADDR, 48, wantLogits);
            int rc = (int) decode.invokeExact(context, batch);
            if (rc != 0) {
                throw new IllegalStateException("llama_decode returned " + rc + ":\n" + log());
            }
            float[][] out = new float[n][];
            for (int i = 0; i < n; i++) {
                MemorySegment p = (MemorySegment) logitsIth.invokeExact(context, i);
                out[i] = p.reinterpret((long) vocab * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT);
            }
            return out;
        }
    }

    /** Forgets everything decoded ({@code llama_memory_clear}): the next decode starts again at position 0. */
    public void clear() throws Throwable {
        memoryClear.invokeExact((MemorySegment) getMemory.invokeExact(context), true);
    }

    @Override
    public void close() {
        try {
            freeContext.invokeExact(context);
            freeModel.invokeExact(model);
        } catch (Throwable t) {
            throw new AssertionError(t);
        } finally {
            arena.close();
        }
    }

    static String log() {
        synchronized (LOG) {
            String s = LOG.toString();
            LOG.setLength(0);
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        }
    }

    private static void checkDefaults(MemorySegment cp) {
        int nCtx = cp.get(I32, 0);
        int nBatch = cp.get(I32, 4);
        int nThreads = cp.get(I32, 28);
        int typeK = cp.get(I32, 104);
        int flash = cp.get(I32, 52);
        if (nCtx != 512 || nBatch != 2048 || nThreads != 4 || typeK != 1 || flash != -1) {
            throw new IllegalStateException("llama_context_params layout does not match llama.h v0.4.0: n_ctx=" + nCtx
                    + " n_batch=" + nBatch + " n_threads=" + nThreads + " type_k=" + typeK + " flash=" + flash);
        }
    }

    private static synchronized void init() throws Throwable {
        if (modelDefaults != null) {
            return;
        }
        SymbolLookup lib = LlamaCppLibrary.llama();
        MethodHandle logSet = h(lib, "llama_log_set", FunctionDescriptor.ofVoid(ADDR, ADDR));
        MethodHandle onLog = MethodHandles.lookup().findStatic(LlamaCppRunner.class, "onLog",
                MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class));
        logSet.invokeExact(LINKER.upcallStub(onLog, FunctionDescriptor.ofVoid(I32, ADDR, ADDR), Arena.global()),
                MemorySegment.NULL);
        h(lib, "llama_backend_init", FunctionDescriptor.ofVoid()).invokeExact();
        modelDefaults = h(lib, "llama_model_default_params", FunctionDescriptor.of(MODEL_PARAMS));
        contextDefaults = h(lib, "llama_context_default_params", FunctionDescriptor.of(CONTEXT_PARAMS));
        loadModel = h(lib, "llama_model_load_from_file", FunctionDescriptor.of(ADDR, ADDR, MODEL_PARAMS));
        initContext = h(lib, "llama_init_from_model", FunctionDescriptor.of(ADDR, ADDR, CONTEXT_PARAMS));
        batchGetOne = h(lib, "llama_batch_get_one", FunctionDescriptor.of(BATCH, ADDR, I32));
        decode = h(lib, "llama_decode", FunctionDescriptor.of(I32, ADDR, BATCH));
        logitsIth = h(lib, "llama_get_logits_ith", FunctionDescriptor.of(ADDR, ADDR, I32));
        getVocab = h(lib, "llama_model_get_vocab", FunctionDescriptor.of(ADDR, ADDR));
        nTokens = h(lib, "llama_vocab_n_tokens", FunctionDescriptor.of(I32, ADDR));
        freeContext = h(lib, "llama_free", FunctionDescriptor.ofVoid(ADDR));
        freeModel = h(lib, "llama_model_free", FunctionDescriptor.ofVoid(ADDR));
        loraInit = h(lib, "llama_adapter_lora_init", FunctionDescriptor.of(ADDR, ADDR, ADDR));
        setLoras = h(lib, "llama_set_adapters_lora", FunctionDescriptor.of(I32, ADDR, ADDR, ValueLayout.JAVA_LONG, ADDR));
        getMemory = h(lib, "llama_get_memory", FunctionDescriptor.of(ADDR, ADDR));
        memoryClear = h(lib, "llama_memory_clear", FunctionDescriptor.ofVoid(ADDR, BOOL));
    }

    private static void onLog(int level, MemorySegment text, MemorySegment user) {
        synchronized (LOG) {
            LOG.append(text.reinterpret(1 << 16).getString(0));
        }
    }

    private static MethodHandle h(SymbolLookup lib, String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(lib.findOrThrow(name), fd);
    }
}
