package dev.plinth.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.DecoderModel;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.model.lora.LoraAdapter;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.autograd.Tape;
import dev.plinth.tensor.autograd.Variable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA and classification heads on {@link TrainableDecoder}: a frozen base (F32, F16 or Q8_0, left
 * in its file) gives the inference decoder's logits; with trained pairs it gives the logits of the
 * same pairs applied at run time by {@link DecoderModel} (part 1's adapters); gradients reach only
 * the pairs and the head, and match finite differences; dropout repeats with its seed; the head
 * reads the last non-padding token.
 */
class LoraDecoderTest {
    private static final int SEQ = 8;
    private static final int VOCAB = 40;

    @TempDir
    Path dir;

    /** A llama with 32-wide rows (so that Q8_0 blocks fit) written as {@code type}. */
    private Path base(String arch, DType type, boolean tied) throws IOException {
        DecoderConfig c = DecoderConfig.builder(arch).hiddenSize(32).heads(4).kvHeads(2).ffnSize(64).vocabSize(VOCAB)
                .layers(2).contextLength(64).build();
        Path out = dir.resolve(arch + "-" + type + "-" + tied + ".gguf");
        RandomModels.Builder b = RandomModels.builder(c).tiedEmbeddings(tied).init(RandomModels.Init.unitScale(4, 0.3, 0.5))
                .noVocabulary().seed(5);
        if (type != DType.F32) {
            b.matrixType(type);
        }
        b.writeGguf(out);
        return out;
    }

    private static int[][] tokens(SplittableRandom rnd, int batch) {
        int[][] t = new int[batch][SEQ];
        for (int[] row : t) {
            for (int i = 0; i < SEQ; i++) {
                row[i] = rnd.nextInt(VOCAB);
            }
        }
        return t;
    }

    private static LoraSettings settings(double dropout) {
        return new LoraSettings(4, 8, dropout, LoraSettings.ALL, false);
    }

    /** Gives every B random values (B starts at zero, which would hide the pairs). */
    private static void randomB(TrainableDecoder m, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        m.lora().values().forEach(p -> {
            float[] b = p.b().data();
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (rnd.nextGaussian() * 0.3);
            }
        });
    }

    @Test
    void frozenBaseAndTrainedPairsGiveTheRuntimeAdapterLogits() throws IOException {
        for (DType type : new DType[] {DType.F32, DType.F16, DType.Q8_0}) {
            for (String arch : new String[] {"llama", "qwen2"}) {
                Path file = base(arch, type, arch.equals("qwen2"));
                try (ModelFile mf = ModelFiles.open(file); DecoderModel inference = DecoderModel.of(mf)) {
                    TrainableDecoder m = TrainableDecoder.frozen(mf);
                    assertTrue(m.trainable().isEmpty(), "a frozen base trains nothing");
                    int[][] tokens = tokens(new SplittableRandom(3), 3);
                    double plain = worstDifference(m, inference, tokens, List.of());
                    m.addLora(settings(0), 17);
                    assertEquals(2 * 7 * 2, m.trainable().size());
                    double zeroB = worstDifference(m, inference, tokens, List.of());
                    randomB(m, 18);
                    LoraAdapter adapter = m.adapter(Map.of());
                    AppliedAdapter applied = new AppliedAdapter("trained", adapter, 1f);
                    double adapted = worstDifference(m, inference, tokens, List.of(applied));
                    // The two paths sum the pairs' products in different orders (GEMM panels against
                    // matrix-vector lanes, 8 or 16 wide), so the adapted logits agree to float rounding
                    // relative to their size, not absolutely: 2e-6 of the largest logit is twice the most
                    // measured (9.6e-7, qwen2 F32 under -XX:UseAVX=2; 5.9e-7 with AVX-512).
                    double scale = Math.max(1, largestLogit(inference, tokens, List.of(applied)));
                    System.out.printf("%s %s: max |logit difference| base %.2e, B = 0 %.2e, adapted %.2e (largest |logit| %.1f)%n",
                            arch, type, plain, zeroB, adapted, scale);
                    assertTrue(plain <= 1e-5 && zeroB <= 1e-5 && adapted <= 2e-6 * scale, arch + " " + type);
                    double moved = worstDifference(m, inference, tokens, List.of());
                    assertTrue(moved > 0.1, "the pairs should move the logits, moved " + moved);
                }
            }
        }
    }

    @Test
    void qloraOnAQ4KmBaseGivesTheRuntimeAdapterLogitsAndGradients() throws IOException {
        DecoderConfig c = DecoderConfig.builder("llama").hiddenSize(256).heads(4).kvHeads(2).ffnSize(512).vocabSize(VOCAB)
                .layers(1).contextLength(64).build();
        Path file = dir.resolve("q4km.gguf");
        RandomModels.builder(c).init(RandomModels.Init.unitScale(4, 0.3, 0.5)).noVocabulary().seed(9)
                .type(dev.plinth.model.convert.QuantType.Q4_K_M).writeGguf(file);
        try (ModelFile mf = ModelFiles.open(file); DecoderModel inference = DecoderModel.of(mf)) {
            assertEquals(DType.Q4_K, mf.tensor("blk.0.attn_q.weight").dtype());
            TrainableDecoder m = TrainableDecoder.frozen(mf);
            m.addLora(settings(0), 3);
            randomB(m, 4);
            int[][] tokens = tokens(new SplittableRandom(5), 2);
            // Both paths round each matrix's input to Q8_K, but their float inputs differ by rounding (about 5e-7
            // relative: attention and norms are computed by different code), so now and then one activation falls
            // on the other side of a Q8_K rounding boundary in one path only. That moves the logits of its position
            // by a whole quant step's effect (0.02 measured); every other position must agree as the F32 paths do.
            double[] byPosition = positionDifferences(m, inference, tokens,
                    List.of(new AppliedAdapter("q", m.adapter(Map.of()), 1f)));
            Arrays.sort(byPosition);
            double worst = byPosition[byPosition.length - 1];
            double secondWorst = byPosition[byPosition.length - 2];
            System.out.printf("llama Q4_K_M: max |logit difference| adapted %.2e (second worst position %.2e)%n",
                    worst, secondWorst);
            assertTrue(secondWorst <= 1e-4, "adapted logits differ by " + secondWorst + " at two or more positions");
            assertTrue(worst <= 0.05, "adapted logits differ by " + worst + ", more than one Q8_K rounding flip");
            Tape tape = new Tape();
            int[][] targets = tokens(new SplittableRandom(6), 2);
            tape.backward(m.loss(tape, tokens, targets, Trainer.IGNORE));
            m.trainable().values().forEach(v -> assertTrue(v.grad() != null, v.name()));
        }
    }

    private static double largestLogit(DecoderModel inference, int[][] tokens, List<AppliedAdapter> adapters) {
        double largest = 0;
        for (int[] sequence : tokens) {
            for (float logit : inference.forwardAll(inference.newSession(SEQ, adapters), sequence)) {
                largest = Math.max(largest, Math.abs(logit));
            }
        }
        return largest;
    }

    private static double worstDifference(TrainableDecoder m, DecoderModel inference, int[][] tokens,
                                          List<AppliedAdapter> adapters) {
        return Arrays.stream(positionDifferences(m, inference, tokens, adapters)).max().orElseThrow();
    }

    /** The largest |logit difference| between the training path and the runtime at each position of each sequence. */
    private static double[] positionDifferences(TrainableDecoder m, DecoderModel inference, int[][] tokens,
                                                List<AppliedAdapter> adapters) {
        float[] ours = m.logits(new Tape(), tokens, TrainableDecoder.Pass.EVAL).data();
        double[] worst = new double[tokens.length * SEQ];
        for (int b = 0; b < tokens.length; b++) {
            float[] ref = inference.forwardAll(inference.newSession(SEQ, adapters), tokens[b]);
            int vocab = ref.length / tokens[b].length;
            for (int i = 0; i < ref.length; i++) {
                int at = b * SEQ + i / vocab;
                worst[at] = Math.max(worst[at], Math.abs(ref[i] - ours[b * ref.length + i]));
            }
        }
        return worst;
    }

    @Test
    void onlyThePairsAndTheHeadGetGradientsAndTheyMatchFiniteDifferences() throws IOException {
        try (ModelFile mf = ModelFiles.open(base("llama", DType.F32, false))) {
            TrainableDecoder m = TrainableDecoder.frozen(mf);
            m.addLora(new LoraSettings(2, 4, 0, List.of("q", "v", "down"), true), 1);
            randomB(m, 2);
            SplittableRandom rnd = new SplittableRandom(4);
            int[][] inputs = tokens(rnd, 2);
            int[][] targets = tokens(rnd, 2);
            targets[1][2] = Trainer.IGNORE;
            Tape tape = new Tape();
            tape.backward(m.loss(tape, inputs, targets, Trainer.IGNORE));
            m.parameters().values().forEach(p -> assertNull(p.grad(), p.name() + " is frozen"));
            assertEquals(List.of("blk.0.attn_q.weight.lora_a", "blk.0.attn_q.weight.lora_b", "blk.0.attn_v.weight.lora_a",
                    "blk.0.attn_v.weight.lora_b", "blk.0.ffn_down.weight.lora_a", "blk.0.ffn_down.weight.lora_b"),
                    m.trainable().keySet().stream().limit(6).toList());
            assertEquals((float) (4 / Math.sqrt(2)), m.lora().get("blk.1.attn_v.weight").scale());
            for (Variable p : m.trainable().values()) {
                checkAgainstFiniteDifferences(p, () -> m.loss(new Tape(), inputs, targets, Trainer.IGNORE).data()[0]);
            }
        }
    }

    /** The analytic gradient of three coordinates of {@code p} (one its largest) against central differences. */
    private static void checkAgainstFiniteDifferences(Variable p, java.util.function.DoubleSupplier loss) {
        float[] g = p.grad();
        assertTrue(g != null, p.name() + " has no gradient");
        int largest = 0;
        for (int i = 1; i < g.length; i++) {
            largest = Math.abs(g[i]) > Math.abs(g[largest]) ? i : largest;
        }
        double h = 1e-2;
        for (int i : new int[] {largest, g.length / 3, g.length - 1}) {
            float saved = p.data()[i];
            p.data()[i] = (float) (saved + h);
            double plus = loss.getAsDouble();
            p.data()[i] = (float) (saved - h);
            double minus = loss.getAsDouble();
            p.data()[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            assertEquals(numeric, g[i], 2e-3 * Math.abs(g[largest]) + 1e-5, p.name() + "[" + i + "]");
        }
    }

    @Test
    void dropoutRepeatsWithItsSeedAndRecomputationKeepsTheGradients() throws IOException {
        try (ModelFile mf = ModelFiles.open(base("llama", DType.F32, true))) {
            TrainableDecoder m = TrainableDecoder.frozen(mf);
            m.addLora(settings(0.5), 1);
            randomB(m, 2);
            SplittableRandom rnd = new SplittableRandom(6);
            int[][] inputs = tokens(rnd, 2);
            int[][] targets = tokens(rnd, 2);
            float eval = m.loss(new Tape(), inputs, targets, Trainer.IGNORE, TrainableDecoder.Pass.EVAL).data()[0];
            Map<String, float[]> plain = gradients(m, inputs, targets, TrainableDecoder.Pass.training(false, 9));
            Map<String, float[]> recomputed = gradients(m, inputs, targets, TrainableDecoder.Pass.training(true, 9));
            plain.forEach((name, g) -> assertArrayEquals(g, recomputed.get(name), name));
            float dropped = m.loss(new Tape(), inputs, targets, Trainer.IGNORE, TrainableDecoder.Pass.training(false, 9))
                    .data()[0];
            float again = m.loss(new Tape(), inputs, targets, Trainer.IGNORE, TrainableDecoder.Pass.training(false, 9))
                    .data()[0];
            float other = m.loss(new Tape(), inputs, targets, Trainer.IGNORE, TrainableDecoder.Pass.training(false, 10))
                    .data()[0];
            assertEquals(dropped, again);
            assertNotEquals(eval, dropped);
            assertNotEquals(dropped, other);
        }
    }

    private static Map<String, float[]> gradients(TrainableDecoder m, int[][] inputs, int[][] targets,
                                                  TrainableDecoder.Pass pass) {
        m.trainable().values().forEach(Variable::zeroGrad);
        Tape tape = new Tape();
        tape.backward(m.loss(tape, inputs, targets, Trainer.IGNORE, pass));
        Map<String, float[]> g = new java.util.LinkedHashMap<>();
        m.trainable().forEach((name, v) -> g.put(name, v.grad().clone()));
        return g;
    }

    @Test
    void theHeadReadsTheLastTokenThatIsNotPadding() throws IOException {
        try (ModelFile mf = ModelFiles.open(base("llama", DType.F32, false))) {
            TrainableDecoder m = TrainableDecoder.of(mf);
            m.addClassifier(2, 3);
            // a head made of two rows of the output matrix classifies as the LM scores those two tokens
            float[] out = m.parameters().get("output.weight").data();
            float[] head = m.classifier().data();
            System.arraycopy(out, 5 * 32, head, 0, 32);
            System.arraycopy(out, 9 * 32, head, 32, 32);
            int[][] tokens = tokens(new SplittableRandom(8), 2);
            int[] last = {SEQ - 1, 4};
            float[] classes = m.classify(new Tape(), tokens, last, TrainableDecoder.Pass.EVAL).data();
            float[] logits = m.logits(new Tape(), tokens).data();
            for (int b = 0; b < 2; b++) {
                int row = (b * SEQ + last[b]) * VOCAB;
                assertEquals(logits[row + 5], classes[2 * b], 1e-5);
                assertEquals(logits[row + 9], classes[2 * b + 1], 1e-5);
            }
            // right padding after position 4 changes nothing before it
            int[][] padded = {tokens[1].clone()};
            for (int t = 5; t < SEQ; t++) {
                padded[0][t] = 0;
            }
            float[] again = m.classify(new Tape(), padded, new int[] {4}, TrainableDecoder.Pass.EVAL).data();
            assertEquals(classes[2], again[0], 1e-6);
            assertEquals(classes[3], again[1], 1e-6);
            // the loss takes its labels where the targets are not ignored
            int[][] targets = new int[2][SEQ];
            for (int[] row : targets) {
                java.util.Arrays.fill(row, Trainer.IGNORE);
            }
            targets[0][SEQ - 1] = 1;
            targets[1][4] = 0;
            Tape tape = new Tape();
            Variable loss = m.classifierLoss(tape, tokens, targets, Trainer.IGNORE, TrainableDecoder.Pass.EVAL);
            double expected = (softmaxLoss(classes[0], classes[1], 1) + softmaxLoss(classes[2], classes[3], 0)) / 2;
            assertEquals(expected, loss.data()[0], 1e-5);
            tape.backward(loss);
            checkAgainstFiniteDifferences(m.classifier(),
                    () -> m.classifierLoss(new Tape(), tokens, targets, Trainer.IGNORE, TrainableDecoder.Pass.EVAL).data()[0]);
            targets[0][2] = 1;
            assertThrows(IllegalArgumentException.class,
                    () -> m.classifierLoss(new Tape(), tokens, targets, Trainer.IGNORE, TrainableDecoder.Pass.EVAL));
        }
    }

    private static double softmaxLoss(float a, float b, int label) {
        double max = Math.max(a, b);
        double lse = max + Math.log(Math.exp(a - max) + Math.exp(b - max));
        return lse - (label == 0 ? a : b);
    }

    @Test
    void loraNeedsAFrozenBase() throws IOException {
        try (ModelFile mf = ModelFiles.open(base("llama", DType.F32, true))) {
            TrainableDecoder full = TrainableDecoder.of(mf);
            assertThrows(IllegalStateException.class, () -> full.addLora(settings(0), 1));
            assertEquals(full.parameters().keySet(), full.trainable().keySet());
        }
    }
}
