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
 * distribution after a 64-token prompt and 32 greedy tokens must agree.
 *
 * <p>F32: max |Δ log-prob| over llama.cpp's top 100 tokens at most 1e-3 and identical greedy tokens.
 * F16 and quantized weights: llama.cpp rounds the activations to F16 or Q8 for those products while
 * Plinth keeps them F32, so against llama.cpp on the same file the test asks for the same top-1 and
 * a total variation distance of at most 0.01 (when llama.cpp's own top two logits are closer than
 * the measured log-prob difference, a near-tie its rounding decides, Plinth's top-1 must be a token
 * llama.cpp rates within that difference of its own). Greedy continuations over 32 steps then diverge at
 * near-ties now and then (that is llama.cpp's activation rounding, not a different model), so the
 * exact comparisons — 1e-3 in log-prob and identical greedy tokens — are made against llama.cpp
 * running the same weights decoded to F32 (the "dequantized twin" file): that checks Plinth's
 * quantized kernels against llama.cpp's model with nothing rounded on either side.
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

        int[] referenceGreedy = new int[GREEDY];
        float[] reference = llamaCpp(file, prompt, referenceGreedy);
        float[] twin = reference;
        int[] twinGreedy = referenceGreedy;
        if (type != DType.F32) {
            Path dequantized = dir.resolve(variant + "-" + type + "-as-f32.gguf");
            RandomDecoders.writeDequantized(file, dequantized);
            twinGreedy = new int[GREEDY];
            twin = llamaCpp(dequantized, prompt, twinGreedy);
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
        double[] lt = logSoftmax(twin);
        double twinDelta = maxDeltaTop(lt, lq, 100);
        String row = String.format("| %-7s | %-4s | %.2e | %.2e | %s | %.2e | %s |", variant, type, maxDelta, tv,
                agreement(referenceGreedy, ourGreedy), twinDelta, agreement(twinGreedy, ourGreedy));
        System.out.println(row);
        synchronized (TABLE) {
            TABLE.add(row);
        }
        int top = DecoderModel.argmax(reference);
        int mine = DecoderModel.argmax(ours);
        if (mine != top && type != DType.F32 && topGap(reference) < maxDelta) {
            // a near-tie inside llama.cpp's own activation rounding (its gap is smaller than the log-prob
            // difference measured above): ours must still be a token llama.cpp rates within that noise
            System.out.println(variant + " " + type + " near-tie: llama.cpp's top two differ by " + topGap(reference)
                    + " < measured Δ " + maxDelta + "; Plinth picks " + mine + " (llama.cpp logit " + reference[mine]
                    + " vs " + reference[top] + ")");
            assertTrue(reference[top] - reference[mine] < maxDelta, "top-1 outside llama.cpp's noise");
        } else {
            assertEquals(top, mine, "top-1");
        }
        assertTrue(tv <= 0.01, "total variation = " + tv);
        assertTrue(twinDelta <= 1e-3, "max |Δ log-prob| over the top 100 = " + twinDelta);
        assertArrayEquals(twinGreedy, ourGreedy, "greedy continuation");
    }

    /** Next-token logits after {@code prompt}, and llama.cpp's own greedy continuation into {@code greedy}. */
    private static float[] llamaCpp(Path file, int[] prompt, int[] greedy) throws Throwable {
        try (LlamaCppRunner ref = new LlamaCppRunner(file, CONTEXT, 1)) {
            assertEquals(VOCAB, ref.vocabSize());
            float[] first = ref.decode(prompt);
            float[] logits = first;
            for (int i = 0; i < greedy.length; i++) {
                greedy[i] = DecoderModel.argmax(logits);
                if (i + 1 < greedy.length) {
                    logits = ref.decode(new int[] {greedy[i]});
                }
            }
            return first;
        }
    }

    private static float topGap(float[] x) {
        float[] s = x.clone();
        Arrays.sort(s);
        return s[s.length - 1] - s[s.length - 2];
    }

    private static String agreement(int[] a, int[] b) {
        int n = 0;
        while (n < a.length && a[n] == b[n]) {
            n++;
        }
        return n + "/" + a.length;
    }

    @AfterAll
    static void printTable() {
        System.out.println("| variant | type | max Δ log-prob vs llama.cpp (top 100) | TV vs llama.cpp | greedy prefix "
                + "equal vs llama.cpp | max Δ log-prob vs llama.cpp on F32 twin | greedy vs twin |");
        System.out.println("|---|---|---|---|---|---|---|");
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
