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
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * llama.cpp's prefill and decode speed on one GGUF file, timed the way {@code plinth bench} times
 * Plinth, with a C-level loop: node-llama-cpp's prebuilt libraries called through
 * java.lang.foreign, {@code llama_decode} once per step. ppN is one {@code llama_decode} of N
 * random prompt tokens; tgN is N steps of one token each from an empty context, each step's token
 * the argmax of the previous step's logits (as {@code plinth bench} decodes). Each test runs
 * {@code -w} warm-up times, then {@code -r} timed times. The CPU backend is llama.cpp's own choice
 * for this CPU unless {@code -Dplinth.llamacpp.cpu=NAME} forces one; context parameters are
 * llama.cpp's defaults (F16 KV cache, flash attention auto) but for the sizes and threads.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/plinth-bench.jar dev.plinth.bench.LlamaCppBench \
 *      MODEL.gguf [-p 512] [-n 128] [-t 2] [-r 3] [-w 1]
 * </pre>
 * Prints one JSON line: {@code {"cpuBackend", "threads", "firstTokenMs", "pp": [tok/s...], "tg": [tok/s...]}},
 * firstTokenMs being the time from this program's start (after the JVM's) to the logits of a
 * one-token prompt: libraries and model loaded, one decode.
 */
public final class LlamaCppBench {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final AddressLayout ADDR = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfBoolean BOOL = ValueLayout.JAVA_BOOLEAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** llama.h's structs at the v0.4.0 libraries: the tests' layouts ({@link LlamaCppRunner}). */
    private static final StructLayout MODEL_PARAMS = LlamaCppRunner.MODEL_PARAMS;
    private static final StructLayout CONTEXT_PARAMS = LlamaCppRunner.CONTEXT_PARAMS;
    private static final StructLayout BATCH = LlamaCppRunner.BATCH;
    private static final StringBuilder LOG = new StringBuilder();

    private final Arena arena = Arena.ofConfined();
    private final MethodHandle batchGetOne;
    private final MethodHandle decode;
    private final MethodHandle logitsIth;
    private final MethodHandle memoryClear;
    private final MemorySegment context;
    private final MemorySegment memory;
    private final int vocab;

    private LlamaCppBench(Path gguf, int contextLength, int batch, int threads) throws Throwable {
        SymbolLookup llama = load();
        MemorySegment mp = (MemorySegment) h(llama, "llama_model_default_params", FunctionDescriptor.of(MODEL_PARAMS))
                .invokeExact((SegmentAllocator) arena);
        MemorySegment model = (MemorySegment) h(llama, "llama_model_load_from_file",
                FunctionDescriptor.of(ADDR, ADDR, MODEL_PARAMS)).invokeExact(arena.allocateFrom(gguf.toString()), mp);
        if (model.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("llama.cpp rejected " + gguf + ":\n" + LOG);
        }
        MemorySegment cp = (MemorySegment) h(llama, "llama_context_default_params", FunctionDescriptor.of(CONTEXT_PARAMS))
                .invokeExact((SegmentAllocator) arena);
        if (cp.get(I32, 0) != 512 || cp.get(I32, 4) != 2048 || cp.get(I32, 28) != 4) {
            throw new IllegalStateException("llama_context_params layout does not match llama.h v0.4.0");
        }
        cp.set(I32, 0, contextLength);
        cp.set(I32, 4, batch);    // n_batch
        cp.set(I32, 8, batch);    // n_ubatch
        cp.set(I32, 28, threads); // n_threads
        cp.set(I32, 32, threads); // n_threads_batch
        context = (MemorySegment) h(llama, "llama_init_from_model", FunctionDescriptor.of(ADDR, ADDR, CONTEXT_PARAMS))
                .invokeExact(model, cp);
        if (context.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("llama.cpp could not create a context:\n" + LOG);
        }
        MemorySegment v = (MemorySegment) h(llama, "llama_model_get_vocab", FunctionDescriptor.of(ADDR, ADDR)).invokeExact(model);
        vocab = (int) h(llama, "llama_vocab_n_tokens", FunctionDescriptor.of(I32, ADDR)).invokeExact(v);
        memory = (MemorySegment) h(llama, "llama_get_memory", FunctionDescriptor.of(ADDR, ADDR)).invokeExact(context);
        batchGetOne = h(llama, "llama_batch_get_one", FunctionDescriptor.of(BATCH, ADDR, I32));
        decode = h(llama, "llama_decode", FunctionDescriptor.of(I32, ADDR, BATCH));
        logitsIth = h(llama, "llama_get_logits_ith", FunctionDescriptor.of(ADDR, ADDR, I32));
        memoryClear = h(llama, "llama_memory_clear", FunctionDescriptor.ofVoid(ADDR, BOOL));
    }

    /** libggml, exactly one CPU backend variant registered with it, then libllama. */
    private static SymbolLookup load() throws Throwable {
        Path dir = LlamaCppVariant.directory();
        SymbolLookup.libraryLookup(dir.resolve("libggml-base.so"), Arena.global());
        SymbolLookup ggml = SymbolLookup.libraryLookup(dir.resolve("libggml.v0.4.0.so"), Arena.global());
        Path cpu = LlamaCppVariant.cpuLibrary();
        MemorySegment reg = (MemorySegment) h(ggml, "ggml_backend_load", FunctionDescriptor.of(ADDR, ADDR))
                .invokeExact(Arena.global().allocateFrom(cpu.toAbsolutePath().toString()));
        if (reg.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("this CPU cannot run llama.cpp's " + cpu.getFileName());
        }
        SymbolLookup llama = SymbolLookup.libraryLookup(dir.resolve("libllama.v0.4.0.so"), Arena.global());
        MethodHandle onLog = MethodHandles.lookup().findStatic(LlamaCppBench.class, "onLog",
                MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class));
        h(llama, "llama_log_set", FunctionDescriptor.ofVoid(ADDR, ADDR)).invokeExact(
                LINKER.upcallStub(onLog, FunctionDescriptor.ofVoid(I32, ADDR, ADDR), Arena.global()), MemorySegment.NULL);
        h(llama, "llama_backend_init", FunctionDescriptor.ofVoid()).invokeExact();
        return llama;
    }

    private static void onLog(int level, MemorySegment text, MemorySegment user) {
        synchronized (LOG) {
            LOG.append(text.reinterpret(1 << 16).getString(0));
            if (LOG.length() > 8000) {
                LOG.delete(0, LOG.length() - 4000);
            }
        }
    }

    private static MethodHandle h(SymbolLookup lib, String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(lib.findOrThrow(name), fd);
    }

    /** Decodes {@code tokens} after what is in the context; returns the last token's logits. */
    private MemorySegment decode(MemorySegment tokens, int count) throws Throwable {
        MemorySegment batch = (MemorySegment) batchGetOne.invokeExact((SegmentAllocator) arena, tokens, count);
        int rc = (int) decode.invokeExact(context, batch);
        if (rc != 0) {
            throw new IllegalStateException("llama_decode returned " + rc + ":\n" + LOG);
        }
        return ((MemorySegment) logitsIth.invokeExact(context, -1)).reinterpret((long) vocab * Float.BYTES);
    }

    private void clear() throws Throwable {
        memoryClear.invokeExact(memory, true);
    }

    private MemorySegment randomTokens(SplittableRandom rnd, int n) {
        MemorySegment t = arena.allocate(I32, n);
        for (int i = 0; i < n; i++) {
            t.setAtIndex(I32, i, rnd.nextInt(vocab));
        }
        return t;
    }

    /** Seconds for one pass over {@code n} random prompt tokens. */
    private double prefill(SplittableRandom rnd, int n) throws Throwable {
        MemorySegment tokens = randomTokens(rnd, n);
        clear();
        long start = System.nanoTime();
        decode(tokens, n);
        return (System.nanoTime() - start) / 1e9;
    }

    /** Seconds for {@code n} greedy steps of one token each from an empty context. */
    private double generate(SplittableRandom rnd, int n) throws Throwable {
        MemorySegment step = randomTokens(rnd, 1);
        clear();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            step.set(I32, 0, argmax(decode(step, 1)));
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private int argmax(MemorySegment logits) {
        int best = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            float v = logits.getAtIndex(F32, i);
            if (v > max) {
                max = v;
                best = i;
            }
        }
        return best;
    }

    private interface Test {
        double seconds() throws Throwable;
    }

    private static List<Double> measure(int tokens, int warmup, int repetitions, Test test) throws Throwable {
        for (int i = 0; i < warmup; i++) {
            test.seconds();
        }
        List<Double> tps = new ArrayList<>();
        for (int i = 0; i < repetitions; i++) {
            tps.add(tokens / test.seconds());
        }
        return tps;
    }

    public static void main(String[] args) throws Throwable {
        long started = System.nanoTime();
        if (args.length < 1 || args.length % 2 == 0) {
            System.err.println("usage: LlamaCppBench MODEL.gguf [-p 512] [-n 128] [-t 2] [-r 3] [-w 1]");
            System.exit(2);
        }
        int pp = option(args, "-p", 512);
        int tg = option(args, "-n", 128);
        int threads = option(args, "-t", 2);
        int repetitions = option(args, "-r", 3);
        int warmup = option(args, "-w", 1);
        LlamaCppBench bench = new LlamaCppBench(Path.of(args[0]), Math.max(pp, tg) + 16, Math.max(pp, 1), threads);
        SplittableRandom rnd = new SplittableRandom(42);
        bench.prefill(rnd, 1);
        double firstTokenMs = (System.nanoTime() - started) / 1e6;
        Instant jvmStart = ProcessHandle.current().info().startInstant().orElse(Instant.now());
        long sinceProcessStart = Duration.between(jvmStart, Instant.now()).toMillis();
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"cpuBackend\": \"%s\", \"threads\": %d, \"firstTokenMs\": %.1f, \"sinceProcessStartMs\": %d",
                LlamaCppVariant.name(LlamaCppVariant.cpuLibrary()), threads, firstTokenMs, sinceProcessStart));
        if (pp > 0) {
            json.append(", \"pp\": ").append(list(measure(pp, warmup, repetitions, () -> bench.prefill(rnd, pp))));
        }
        if (tg > 0) {
            json.append(", \"tg\": ").append(list(measure(tg, warmup, repetitions, () -> bench.generate(rnd, tg))));
        }
        System.out.println(json.append('}'));
    }

    private static String list(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.3f", v)).collect(Collectors.joining(", ", "[", "]"));
    }

    private static int option(String[] args, String name, int fallback) {
        for (int i = 1; i + 1 < args.length; i += 2) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }
}
