package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.tensor.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random-weight models of every variant, written by Plinth as GGUF in F32, F16, Q8_0, Q4_0 and
 * Q4_K, run by llama.cpp (libllama through FFM) and by {@link DecoderModel}: the next-token
 * distribution after a 64-token prompt and 32 greedy tokens must agree. F32: max |Δ log-prob|
 * over llama.cpp's top 100 tokens at most 1e-3. F16 and quantized weights (llama.cpp rounds the
 * activations to F16 or Q8 for those products; Plinth keeps them F32): same top-1 and total
 * variation distance at most 0.01.
 */
class LlamaCppConformanceTest {
    static final int HIDDEN = 256;
    static final int FFN = 512;
    static final int LAYERS = 2;
    static final int VOCAB = 1024;
    static final int PROMPT = 64;
    static final int GREEDY = 32;
    static final int CONTEXT = 128;
    private static final List<String> TABLE = new ArrayList<>();

    @TempDir
    static Path dir;

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (RandomDecoders.Variant v : RandomDecoders.Variant.values()) {
            for (DType t : List.of(DType.F32, DType.F16, DType.Q8_0, DType.Q4_0, DType.Q4_K)) {
                out.add(Arguments.of(v, t));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void agreesWithLlamaCpp(RandomDecoders.Variant variant, DType type) throws Throwable {
        Path file = dir.resolve(variant + "-" + type + ".gguf");
        long seed = 1000L * variant.ordinal() + type.ordinal();
        RandomDecoders.write(file, variant, type, HIDDEN, FFN, LAYERS, VOCAB, CONTEXT, seed);
        int[] prompt = new SplittableRandom(seed + 7).ints(PROMPT, 0, VOCAB).toArray();

        float[] reference;
        int[] referenceGreedy = new int[GREEDY];
        try (LlamaCppRunner ref = new LlamaCppRunner(file, CONTEXT, 2)) {
            assertEquals(VOCAB, ref.vocabSize());
            reference = ref.decode(prompt);
            float[] logits = reference;
            for (int i = 0; i < GREEDY; i++) {
                referenceGreedy[i] = DecoderModel.argmax(logits);
                if (i + 1 < GREEDY) {
                    logits = ref.decode(new int[] {referenceGreedy[i]});
                }
            }
        }
        float[] ours;
        int[] ourGreedy;
        try (DecoderModel m = DecoderModel.open(file)) {
            ours = m.forward(m.newSession(CONTEXT), prompt);
            ourGreedy = m.generateGreedy(prompt, GREEDY, -1);
        }
        double[] lp = logSoftmax(reference);
        double[] lq = logSoftmax(ours);
        double maxDelta = maxDeltaTop(lp, lq, 100);
        double tv = totalVariation(lp, lq);
        String row = String.format("| %-7s | %-4s | %.2e | %.2e | %s |", variant, type, maxDelta, tv,
                Arrays.equals(referenceGreedy, ourGreedy) ? "identical" : "DIFFER");
        System.out.println(row);
        synchronized (TABLE) {
            TABLE.add(row);
        }
        assertEquals(DecoderModel.argmax(reference), DecoderModel.argmax(ours), "top-1");
        if (type == DType.F32) {
            assertTrue(maxDelta <= 1e-3, "max |Δ log-prob| over the top 100 = " + maxDelta);
        } else {
            assertTrue(tv <= 0.01, "total variation = " + tv);
        }
        assertArrayEquals(referenceGreedy, ourGreedy, "greedy continuation");
    }

    @AfterAll
    static void printTable() {
        System.out.println("| variant | type | max Δ log-prob (top 100) | TV distance | greedy 32 |");
        System.out.println("|---|---|---|---|---|");
        TABLE.forEach(System.out::println);
    }

    static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : logits) {
            sum += Math.exp(x - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = logits[i] - lse;
        }
        return out;
    }

    /** Largest |p - q| in log space over the {@code k} tokens most likely under {@code p}. */
    static double maxDeltaTop(double[] p, double[] q, int k) {
        Integer[] idx = new Integer[p.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Double.compare(p[b], p[a]));
        double max = 0;
        for (int i = 0; i < Math.min(k, idx.length); i++) {
            max = Math.max(max, Math.abs(p[idx[i]] - q[idx[i]]));
        }
        return max;
    }

    static double totalVariation(double[] lp, double[] lq) {
        double s = 0;
        for (int i = 0; i < lp.length; i++) {
            s += Math.abs(Math.exp(lp[i]) - Math.exp(lq[i]));
        }
        return s / 2;
    }
}
