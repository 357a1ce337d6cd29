package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.LlamaCppLibrary;
import dev.plinth.tensor.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random-weight models of every variant, written by Plinth as GGUF in F32, F16, Q8_0, Q4_0 and
 * Q4_K, run by llama.cpp (libllama through FFM, the one CPU variant {@link LlamaCppLibrary} loads)
 * and by {@link DecoderModel}. llama.cpp decodes a 64-token prompt and then 32 greedy tokens;
 * Plinth is fed the same tokens (teacher forcing), so the next-token distributions are compared at
 * all 32 steps, also after a step where the two would pick different tokens.
 *
 * <p>At every step, within the bounds of the weights' dtype ({@link #bound}): max |Δ log-prob|
 * over llama.cpp's top 100 tokens, total variation, and the same top-1 token unless llama.cpp
 * rates Plinth's pick within {@link Bound#nearTie()} of its own.
 *
 * <p>F32 agrees to float rounding. F16: llama.cpp's CPU variants other than sapphirerapids round
 * the activations to F16 before each product with an F16 weight, and so does Plinth here
 * ({@link DecoderModel#setF16ActivationRounding}); activations that differ in their last float bit
 * still round to neighbouring halves now and then, and each such flip spreads through the later
 * products, so F16 agrees to about 1e-3 (as llama.cpp's own haswell and zen4 variants agree with
 * each other). Quantized weights: Plinth quantizes the activations of every product to Q8_0, Q8_1
 * or Q8_K as llama.cpp does and forms the same integer block sums (bit for bit in
 * {@code GgmlVecDotConformanceTest}), but the 64-token prompt goes through the packed GEMM, which
 * sums in another order, and a last-bit difference that moves an activation across a rounding
 * boundary of its quantization shifts log-probs by up to a few 1e-2 (llama.cpp's variants differ
 * from each other by as much on some of these models).
 */
class LlamaCppConformanceTest {
    static final int HIDDEN = 256;
    static final int FFN = 512;
    static final int LAYERS = 2;
    static final int VOCAB = 1024;
    static final int PROMPT = 64;
    static final int GREEDY = 32;
    static final int CONTEXT = 128;
    static final int TOP = 100;
    /** Steps that agree this closely saw no rounding flip of an activation: float rounding only. */
    static final double EXACT = 1e-5;

    /**
     * Agreement asserted at every step: max |Δ log-prob| over llama.cpp's top 100 and total
     * variation. A top-1 disagreement is excused when llama.cpp rates Plinth's token at most
     * {@link #nearTie()} below its own: the largest gap that Δ-log-prob bound lets the two invert.
     */
    record Bound(double delta, double tv) {
        double nearTie() {
            return 2 * delta;
        }
    }

    /**
     * The largest disagreement measured over the 5 models x 32 steps of a dtype (the larger of the
     * runs against the haswell and the zen4 variant), times a margin: 4 for F32 (float rounding
     * only), 2 where rounding flips of activations dominate and move with any change of summation
     * order.
     */
    static Bound bound(DType type) {
        return switch (type) {
            case F32 -> new Bound(2.9e-6 * 4, 4.1e-7 * 4);
            case F16 -> new Bound(1.3e-3 * 2, 1.6e-4 * 2);
            case Q8_0 -> new Bound(2.8e-2 * 2, 3.8e-3 * 2);
            case Q4_0 -> new Bound(3.1e-2 * 2, 4.2e-3 * 2);
            case Q4_K -> new Bound(4.1e-2 * 2, 5.2e-3 * 2);
            default -> throw new IllegalArgumentException("no measured bound for " + type);
        };
    }

    /** One model's comparison at each step of llama.cpp's greedy continuation. */
    record Steps(double[] delta, double[] tv, int[] reference, int[] ours, float[] referenceGap, float[] pickGap) {
        double maxDelta() {
            return Arrays.stream(delta).max().orElseThrow();
        }

        double maxTv() {
            return Arrays.stream(tv).max().orElseThrow();
        }

        /** Steps where Plinth's top-1 is not llama.cpp's. */
        List<Integer> divergences() {
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < reference.length; i++) {
                if (reference[i] != ours[i]) {
                    out.add(i);
                }
            }
            return out;
        }
    }

    private static final List<String> TABLE = new ArrayList<>();
    private static final Map<DType, List<Steps>> RESULTS = new EnumMap<>(DType.class);

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
        RandomDecoders.model(variant, type, HIDDEN, FFN, LAYERS, VOCAB, CONTEXT, seed).writeGguf(file);
        int[] prompt = new SplittableRandom(seed + 7).ints(PROMPT, 0, VOCAB).toArray();

        float[][] reference = llamaCpp(file, prompt);
        float[][] ours = plinth(file, prompt, reference);
        Steps steps = compare(reference, ours);
        report(variant, type, steps);

        Bound b = bound(type);
        for (int i = 0; i < GREEDY; i++) {
            String at = variant + " " + type + " step " + i;
            assertTrue(steps.delta[i] <= b.delta(), at + ": max |Δ log-prob| over the top " + TOP + " = "
                    + steps.delta[i] + " > " + b.delta());
            assertTrue(steps.tv[i] <= b.tv(), at + ": total variation = " + steps.tv[i] + " > " + b.tv());
            assertTrue(steps.ours[i] == steps.reference[i] || steps.pickGap[i] <= b.nearTie(), at + ": Plinth's top-1 "
                    + steps.ours[i] + " is " + steps.pickGap[i] + " below llama.cpp's " + steps.reference[i]
                    + " in llama.cpp's logits (a near-tie is at most " + b.nearTie() + ")");
        }
    }

    /** llama.cpp's logits after the prompt and after each of its own greedy tokens. */
    private static float[][] llamaCpp(Path file, int[] prompt) throws Throwable {
        float[][] logits = new float[GREEDY][];
        try (LlamaCppRunner ref = new LlamaCppRunner(file, CONTEXT, 1)) {
            assertEquals(VOCAB, ref.vocabSize());
            logits[0] = ref.decode(prompt);
            for (int i = 1; i < GREEDY; i++) {
                logits[i] = ref.decode(new int[] {DecoderModel.argmax(logits[i - 1])});
            }
        }
        return logits;
    }

    /** Plinth's logits on the same tokens: the prompt, then llama.cpp's greedy choices (teacher forcing). */
    private static float[][] plinth(Path file, int[] prompt, float[][] reference) throws Exception {
        float[][] logits = new float[GREEDY][];
        try (DecoderModel m = DecoderModel.open(file)) {
            m.setF16ActivationRounding(LlamaCppLibrary.roundsF16Activations());
            DecoderModel.Session s = m.newSession(CONTEXT);
            logits[0] = m.forward(s, prompt);
            for (int i = 1; i < GREEDY; i++) {
                logits[i] = m.forward(s, new int[] {DecoderModel.argmax(reference[i - 1])});
            }
        }
        return logits;
    }

    static Steps compare(float[][] reference, float[][] ours) {
        Steps s = new Steps(new double[GREEDY], new double[GREEDY], new int[GREEDY], new int[GREEDY],
                new float[GREEDY], new float[GREEDY]);
        for (int i = 0; i < GREEDY; i++) {
            double[] lp = logSoftmax(reference[i]);
            double[] lq = logSoftmax(ours[i]);
            s.delta[i] = maxDeltaTop(lp, lq, TOP);
            s.tv[i] = totalVariation(lp, lq);
            s.reference[i] = DecoderModel.argmax(reference[i]);
            s.ours[i] = DecoderModel.argmax(ours[i]);
            s.referenceGap[i] = topGap(reference[i]);
            s.pickGap[i] = reference[i][s.reference[i]] - reference[i][s.ours[i]];
        }
        return s;
    }

    private static void report(RandomDecoders.Variant variant, DType type, Steps s) {
        List<Integer> diverged = s.divergences();
        StringBuilder where = new StringBuilder();
        for (int i : diverged) {
            where.append(String.format(" %d (llama.cpp gap %.2e, Plinth's pick %.2e below)", i, s.referenceGap[i],
                    s.pickGap[i]));
        }
        String row = String.format("| %-7s | %-4s | %.2e | %.2e | %d/%d |%s |", variant, type, s.maxDelta(), s.maxTv(),
                GREEDY - diverged.size(), GREEDY, diverged.isEmpty() ? " -" : where);
        System.out.println(row);
        synchronized (TABLE) {
            TABLE.add(row);
            RESULTS.computeIfAbsent(type, t -> new ArrayList<>()).add(s);
        }
    }

    @AfterAll
    static void printTable() {
        System.out.println("llama.cpp CPU variant " + LlamaCppLibrary.variant() + ", Plinth rounds F16 activations: "
                + LlamaCppLibrary.roundsF16Activations() + "; " + GREEDY
                + " steps teacher-forced on llama.cpp's greedy tokens");
        System.out.println("| variant | type | max Δ log-prob (top " + TOP + ", all steps) | max TV | steps with "
                + "llama.cpp's top-1 | divergence steps (the first: where Plinth's own greedy tokens part) |");
        System.out.println("|---|---|---|---|---|---|");
        TABLE.forEach(System.out::println);
        System.out.println("| type | max Δ log-prob, all rows and steps (median) | bound | max TV | bound | steps with "
                + "max Δ <= " + EXACT + " | steps with llama.cpp's top-1 |");
        System.out.println("|---|---|---|---|---|---|---|");
        RESULTS.forEach((type, rows) -> {
            double[] deltas = rows.stream().flatMapToDouble(s -> Arrays.stream(s.delta)).sorted().toArray();
            double tv = rows.stream().mapToDouble(Steps::maxTv).max().orElseThrow();
            long exact = Arrays.stream(deltas).filter(d -> d <= EXACT).count();
            int diverged = rows.stream().mapToInt(s -> s.divergences().size()).sum();
            System.out.printf("| %s | %.2e (%.2e) | %.2e | %.2e | %.2e | %d/%d | %d/%d |%n", type,
                    deltas[deltas.length - 1], deltas[deltas.length / 2], bound(type).delta(), tv, bound(type).tv(),
                    exact, deltas.length, deltas.length - diverged, deltas.length);
        });
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

    private static float topGap(float[] x) {
        float[] s = x.clone();
        Arrays.sort(s);
        return s[s.length - 1] - s[s.length - 2];
    }
}
