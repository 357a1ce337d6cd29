package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.plinth.LlamaCppLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The truncation stages against llama.cpp's own samplers (libllama through FFM): the same random
 * logits (after Plinth's penalties) go through llama.cpp's top-k, top-p and min-p; the surviving
 * token sets must be identical. (The penalties are checked by hand in SamplerTest: llama.cpp's
 * penalties sampler, called through FFM with the documented four-argument signature, ignored the
 * window and the presence penalty here, so it is not used as a reference until that is understood.)
 */
class SamplerLlamaCppTest {

    private static final Linker LINKER = Linker.nativeLinker();
    // struct llama_token_data { int32 id; float logit; float p; }
    private static final long TOKEN_DATA = 12;

    private final SymbolLookup lib = LlamaCppLibrary.llama();
    private final MethodHandle topK = fn("llama_sampler_init_top_k", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private final MethodHandle topP = fn("llama_sampler_init_top_p",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_LONG));
    private final MethodHandle minP = fn("llama_sampler_init_min_p",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_LONG));
    private final MethodHandle apply = fn("llama_sampler_apply",
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private final MethodHandle free = fn("llama_sampler_free", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

    private MethodHandle fn(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(lib.findOrThrow(name), d);
    }

    @Test
    void survivorsEqualLlamaCpp() throws Throwable {
        SplittableRandom r = new SplittableRandom(31);
        for (int trial = 0; trial < 60; trial++) {
            int vocab = 50 + r.nextInt(trial < 50 ? 3000 : 160_000);
            float[] logits = new float[vocab];
            double sd = 0.3 + r.nextDouble() * 5;
            for (int i = 0; i < vocab; i++) {
                logits[i] = (float) (r.nextGaussian() * sd);
            }
            int[] history = r.ints(r.nextInt(64), 0, Math.min(vocab, 40)).toArray();
            SamplingParams p = new SamplingParams(1f,
                    r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(100),
                    r.nextInt(3) == 0 ? 1f : (float) (0.05 + 0.9 * r.nextDouble()),
                    r.nextInt(3) == 0 ? 0f : (float) (r.nextDouble() * 0.3),
                    r.nextBoolean() ? 1f : (float) (0.5 + r.nextDouble() * 1.5),
                    r.nextBoolean() ? 0f : (float) r.nextDouble(),
                    r.nextBoolean() ? 0f : (float) r.nextDouble() * 0.5f,
                    64, 0);
            String where = "trial " + trial + " vocab " + vocab + " " + p;

            Sampler mine = new Sampler(p, vocab);
            for (int t : history) {
                mine.accept(t);
            }
            float[] penalised = logits.clone();
            mine.applyPenalties(penalised);
            int[] survivors = mine.survivors(logits);

            try (Arena arena = Arena.ofConfined()) {
                MemorySegment data = arena.allocate(TOKEN_DATA * vocab, 4);
                for (int i = 0; i < vocab; i++) {
                    data.set(ValueLayout.JAVA_INT, i * TOKEN_DATA, i);
                    data.set(ValueLayout.JAVA_FLOAT, i * TOKEN_DATA + 4, penalised[i]);
                    data.set(ValueLayout.JAVA_FLOAT, i * TOKEN_DATA + 8, 0f);
                }
                // struct llama_token_data_array { llama_token_data * data; size_t size; int64_t selected; bool sorted; }
                MemorySegment array = arena.allocate(32, 8);
                array.set(ValueLayout.ADDRESS, 0, data);
                array.set(ValueLayout.JAVA_LONG, 8, vocab);
                array.set(ValueLayout.JAVA_LONG, 16, -1L);
                array.set(ValueLayout.JAVA_BOOLEAN, 24, false);
                if (p.topK() > 0) {
                    applyAndFree((MemorySegment) topK.invokeExact(p.topK()), array);
                }
                if (p.topP() < 1f) {
                    applyAndFree((MemorySegment) topP.invokeExact(p.topP(), 1L), array);
                }
                if (p.minP() > 0f) {
                    applyAndFree((MemorySegment) minP.invokeExact(p.minP(), 1L), array);
                }
                MemorySegment out = array.get(ValueLayout.ADDRESS, 0).reinterpret(TOKEN_DATA * vocab);
                int n = (int) array.get(ValueLayout.JAVA_LONG, 8);
                int[] theirs = new int[n];
                for (int i = 0; i < n; i++) {
                    theirs[i] = out.get(ValueLayout.JAVA_INT, i * TOKEN_DATA);
                }
                Arrays.sort(theirs);
                int[] ours = survivors.clone();
                Arrays.sort(ours);
                assertEquals(theirs.length, ours.length, where);
                assertArrayEquals(theirs, ours, where);
            }
        }
    }

    private void applyAndFree(MemorySegment sampler, MemorySegment array) throws Throwable {
        apply.invokeExact(sampler, array);
        free.invokeExact(sampler);
    }
}
