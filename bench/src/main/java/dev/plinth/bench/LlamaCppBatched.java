package dev.plinth.bench;

import dev.plinth.model.LlamaCppRunner;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * llama.cpp's batched decoding of several sequences, through its own libraries (node-llama-cpp's
 * prebuilt linux-x64 build) and java.lang.foreign, as its {@code llama-batched} example does: every
 * prompt prefilled in one batch (a sequence id each), then one batch per step with the next token
 * of every sequence, each sampled greedily from its logits. ggml picks the best CPU backend for
 * this machine ({@code ggml_backend_load_all_from_path}), as llama.cpp's own tools do, unless
 * {@code plinth.llamacpp.variant} names one ({@code libggml-cpu-VARIANT.so}); the struct
 * layouts are the tests' ({@link LlamaCppRunner}), llama.h's at the v0.4.0 libraries.
 */
final class LlamaCppBatched implements AutoCloseable {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final AddressLayout ADDR = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final StructLayout MODEL_PARAMS = LlamaCppRunner.MODEL_PARAMS;
    private static final StructLayout CONTEXT_PARAMS = LlamaCppRunner.CONTEXT_PARAMS;
    /** struct llama_batch: n_tokens, token, embd, pos, n_seq_id, seq_id, logits. */
    private static final StructLayout BATCH = LlamaCppRunner.BATCH;

    private final Arena arena = Arena.ofConfined();
    private final MethodHandle decode;
    private final MethodHandle logitsIth;
    private final MethodHandle freeContext;
    private final MethodHandle freeModel;
    private final MethodHandle batchFree;
    private final MethodHandle memoryClear;
    private final MemorySegment memory;
    private final MemorySegment model;
    private final MemorySegment context;
    private final MemorySegment batch;
    private final int vocab;
    private final String backend;

    /** Results of one run: the prefill (time to every sequence's first token) and the decode steps. */
    record Timing(double prefillSeconds, double decodeSeconds, int tokensPerSequence) {
    }

    LlamaCppBatched(Path dir, Path gguf, int sequences, int positionsPerSequence, int threads) throws Throwable {
        Arena global = Arena.global();
        SymbolLookup.libraryLookup(dir.resolve("libggml-base.so"), global);
        SymbolLookup ggml = SymbolLookup.libraryLookup(dir.resolve("libggml.v0.4.0.so"), global);
        String variant = System.getProperty("plinth.llamacpp.variant", "");
        if (variant.isBlank()) {
            handle(ggml, "ggml_backend_load_all_from_path", FunctionDescriptor.ofVoid(ADDR))
                    .invokeExact(arena.allocateFrom(dir.toAbsolutePath().toString()));
        } else {
            MemorySegment loaded = (MemorySegment) handle(ggml, "ggml_backend_load", FunctionDescriptor.of(ADDR, ADDR))
                    .invokeExact(arena.allocateFrom(dir.resolve("libggml-cpu-" + variant + ".so").toAbsolutePath().toString()));
            if (loaded.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("this CPU cannot run llama.cpp's libggml-cpu-" + variant + ".so");
            }
        }
        MemorySegment reg = (MemorySegment) handle(ggml, "ggml_backend_reg_get", FunctionDescriptor.of(ADDR, ValueLayout.JAVA_LONG))
                .invokeExact(0L);
        MemorySegment name = (MemorySegment) handle(ggml, "ggml_backend_reg_name", FunctionDescriptor.of(ADDR, ADDR))
                .invokeExact(reg);
        backend = name.reinterpret(256).getString(0);
        SymbolLookup llama = SymbolLookup.libraryLookup(dir.resolve("libllama.v0.4.0.so"), global);
        handle(llama, "llama_backend_init", FunctionDescriptor.ofVoid()).invokeExact();
        MemorySegment mp = (MemorySegment) handle(llama, "llama_model_default_params", FunctionDescriptor.of(MODEL_PARAMS))
                .invokeExact((SegmentAllocator) arena);
        model = (MemorySegment) handle(llama, "llama_model_load_from_file", FunctionDescriptor.of(ADDR, ADDR, MODEL_PARAMS))
                .invokeExact(arena.allocateFrom(gguf.toString()), mp);
        if (model.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("llama.cpp rejected " + gguf);
        }
        MemorySegment cp = (MemorySegment) handle(llama, "llama_context_default_params", FunctionDescriptor.of(CONTEXT_PARAMS))
                .invokeExact((SegmentAllocator) arena);
        if (cp.get(I32, 0) != 512 || cp.get(I32, 12) != 1 || cp.get(I32, 28) != 4) {
            throw new IllegalStateException("llama_context_params does not have llama.h v0.4.0's layout");
        }
        int contextLength = sequences * positionsPerSequence;
        cp.set(I32, 0, contextLength);
        cp.set(I32, 4, contextLength);   // n_batch: every prompt in one batch
        cp.set(I32, 8, Math.min(contextLength, 512)); // n_ubatch
        cp.set(I32, 12, sequences);      // n_seq_max
        cp.set(I32, 28, threads);
        cp.set(I32, 32, threads);
        context = (MemorySegment) handle(llama, "llama_init_from_model", FunctionDescriptor.of(ADDR, ADDR, CONTEXT_PARAMS))
                .invokeExact(model, cp);
        if (context.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("llama.cpp could not create a context of " + contextLength + " positions");
        }
        vocab = (int) handle(llama, "llama_vocab_n_tokens", FunctionDescriptor.of(I32, ADDR)).invokeExact(
                (MemorySegment) handle(llama, "llama_model_get_vocab", FunctionDescriptor.of(ADDR, ADDR)).invokeExact(model));
        batch = (MemorySegment) handle(llama, "llama_batch_init", FunctionDescriptor.of(BATCH, I32, I32, I32))
                .invokeExact((SegmentAllocator) arena, contextLength, 0, 1);
        decode = handle(llama, "llama_decode", FunctionDescriptor.of(I32, ADDR, BATCH));
        logitsIth = handle(llama, "llama_get_logits_ith", FunctionDescriptor.of(ADDR, ADDR, I32));
        freeContext = handle(llama, "llama_free", FunctionDescriptor.ofVoid(ADDR));
        freeModel = handle(llama, "llama_model_free", FunctionDescriptor.ofVoid(ADDR));
        batchFree = handle(llama, "llama_batch_free", FunctionDescriptor.ofVoid(BATCH));
        memory = (MemorySegment) handle(llama, "llama_get_memory", FunctionDescriptor.of(ADDR, ADDR)).invokeExact(context);
        memoryClear = handle(llama, "llama_memory_clear", FunctionDescriptor.ofVoid(ADDR, ValueLayout.JAVA_BOOLEAN));
    }

    /** The CPU backend ggml chose. */
    String backend() {
        return backend;
    }

    /** Prefills {@code prompts} (one sequence each) in one batch, then decodes {@code tokens} greedy tokens for each. */
    Timing run(int[][] prompts, int tokens) throws Throwable {
        int n = prompts.length;
        int[] next = new int[n];
        int[] position = new int[n];
        int[] logitRow = new int[n];
        memoryClear.invokeExact(memory, true);
        clear();
        for (int s = 0; s < n; s++) {
            for (int i = 0; i < prompts[s].length; i++) {
                logitRow[s] = add(prompts[s][i], i, s, i == prompts[s].length - 1);
            }
            position[s] = prompts[s].length;
        }
        long start = System.nanoTime();
        step();
        for (int s = 0; s < n; s++) {
            next[s] = argmax(logitRow[s]);
        }
        long prefilled = System.nanoTime();
        for (int t = 1; t < tokens; t++) {
            clear();
            for (int s = 0; s < n; s++) {
                logitRow[s] = add(next[s], position[s]++, s, true);
            }
            step();
            for (int s = 0; s < n; s++) {
                next[s] = argmax(logitRow[s]);
            }
        }
        long end = System.nanoTime();
        return new Timing((prefilled - start) / 1e9, (end - prefilled) / 1e9, tokens);
    }

    private int count;

    private void clear() {
        count = 0;
        batch.set(I32, 0, 0);
    }

    /** Adds one token to the batch; returns its row. */
    private int add(int token, int position, int sequence, boolean wantLogits) {
        MemorySegment tokens = field(1, 4L * (count + 1));
        MemorySegment positions = field(3, 4L * (count + 1));
        MemorySegment seqCounts = field(4, 4L * (count + 1));
        MemorySegment seqIds = field(5, ADDR.byteSize() * (count + 1));
        MemorySegment logits = field(6, count + 1L);
        tokens.setAtIndex(I32, count, token);
        positions.setAtIndex(I32, count, position);
        seqCounts.setAtIndex(I32, count, 1);
        seqIds.getAtIndex(ADDR, count).reinterpret(4).set(I32, 0, sequence);
        logits.set(ValueLayout.JAVA_BYTE, count, (byte) (wantLogits ? 1 : 0));
        count++;
        batch.set(I32, 0, count);
        return count - 1;
    }

    /** The array pointer at {@code index} of the batch struct (0: n_tokens), seen as {@code bytes} long. */
    private MemorySegment field(int index, long bytes) {
        long offset = 8 + (index - 1) * ADDR.byteSize();
        return batch.get(ADDR, offset).reinterpret(bytes);
    }

    private void step() throws Throwable {
        int rc = (int) decode.invokeExact(context, batch);
        if (rc != 0) {
            throw new IllegalStateException("llama_decode returned " + rc);
        }
    }

    private int argmax(int row) throws Throwable {
        MemorySegment p = ((MemorySegment) logitsIth.invokeExact(context, row)).reinterpret((long) vocab * Float.BYTES);
        int best = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            float v = p.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (v > max) {
                max = v;
                best = i;
            }
        }
        return best;
    }

    @Override
    public void close() throws Exception {
        try {
            batchFree.invokeExact(batch);
            freeContext.invokeExact(context);
            freeModel.invokeExact(model);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            arena.close();
        }
    }

    private static MethodHandle handle(SymbolLookup lib, String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(lib.findOrThrow(name), fd);
    }
}
