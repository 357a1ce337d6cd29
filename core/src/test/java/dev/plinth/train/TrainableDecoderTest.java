package dev.plinth.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.io.gguf.GgufWriter;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.DecoderModel;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.tensor.Tensor;
import dev.plinth.tensor.autograd.Tape;
import dev.plinth.tensor.autograd.Variable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The differentiable decoder against Plinth's inference decoder (same GGUF, same logits) and its
 * whole-model loss gradient against finite differences, on the tiny llama of the training issue:
 * 2 layers, hidden 16, 4 heads, 2 KV heads, vocabulary 32, sequences of 8.
 */
class TrainableDecoderTest {
    private static final int SEQ = 8;

    /**
     * Unit-scale activations, embedding rows of unit scale (so that the finite-difference step is small
     * beside them) and logits spread about 4, norm weights 1 ± 0.3, biases of 0.5.
     */
    private static final RandomModels.Init INIT = RandomModels.Init.unitScale(4, 0.3, 0.5);

    @TempDir
    Path dir;

    /**
     * The tiny llama of {@link RandomModels} (F32, no vocabulary: its synthetic one needs more than 32
     * tokens), weights drawn as {@link #INIT} says and, when asked, RoPE frequency divisors.
     */
    private Path tinyLlama(boolean tied, boolean freqFactors, long seed) throws IOException {
        return tinyModel("llama", tied, freqFactors, seed);
    }

    /**
     * As {@link #tinyLlama}, for {@code arch}: qwen2 adds q/k/v biases (and NeoX RoPE), qwen3
     * per-head q/k norms with heads of 8 (q wider than the residual, NeoX RoPE).
     */
    private Path tinyModel(String arch, boolean tied, boolean freqFactors, long seed) throws IOException {
        return tinyModel(arch, tied, freqFactors, seed, 0);
    }

    /** As {@link #tinyModel(String, boolean, boolean, long)} with a sliding attention window (0: none). */
    private Path tinyModel(String arch, boolean tied, boolean freqFactors, long seed, int window) throws IOException {
        int headDim = arch.equals("qwen3") ? 8 : 4;
        float[] factors = null;
        if (freqFactors) {
            factors = new float[headDim / 2];
            for (int i = 0; i < factors.length; i++) {
                factors[i] = 1 + 3 * i;
            }
        }
        DecoderConfig c = DecoderConfig.builder(arch).hiddenSize(16).heads(4).kvHeads(2).headDim(headDim).ffnSize(40)
                .vocabSize(32).layers(2).contextLength(64).ropeFreqFactors(factors).slidingWindow(window).build();
        Path out = dir.resolve("tiny-" + arch + tied + freqFactors + window + ".gguf");
        RandomModels.builder(c).tiedEmbeddings(tied).init(INIT).noVocabulary().seed(seed).writeGguf(out);
        return out;
    }

    private static int[][] randomTokens(SplittableRandom rnd, int batch, int vocab) {
        int[][] t = new int[batch][SEQ];
        for (int[] row : t) {
            for (int i = 0; i < SEQ; i++) {
                row[i] = rnd.nextInt(vocab);
            }
        }
        return t;
    }

    @Test
    void forwardEqualsInferenceDecoderLogits() throws IOException {
        String[][] variants = {{"llama", "untied"}, {"llama", "tied"}, {"qwen2", "tied"}, {"qwen3", "untied"},
            {"llama", "window 3"}};
        for (String[] variant : variants) {
            boolean tied = variant[1].equals("tied");
            int window = variant[1].startsWith("window") ? 3 : 0;
            Path file = tinyModel(variant[0], tied, variant[0].equals("llama") && variant[1].equals("untied"), 11, window);
            try (ModelFile mf = ModelFiles.open(file); DecoderModel inference = DecoderModel.of(mf)) {
                TrainableDecoder model = TrainableDecoder.of(mf);
                assertEquals(tied, model.tiedEmbeddings());
                int[][] tokens = randomTokens(new SplittableRandom(12), 3, 32);
                float[] ours = model.logits(new Tape(), tokens).data();
                double worst = 0;
                double largest = 0;
                for (int b = 0; b < tokens.length; b++) {
                    float[] ref = inference.forwardAll(inference.newSession(SEQ), tokens[b]);
                    for (int i = 0; i < ref.length; i++) {
                        worst = Math.max(worst, Math.abs(ref[i] - ours[b * ref.length + i]));
                        largest = Math.max(largest, Math.abs(ref[i]));
                    }
                }
                System.out.printf("tiny %s (%s): max |logit| %.3f, max |autograd - DecoderModel| %.3e%n", variant[0],
                        variant[1], largest, worst);
                assertTrue(largest > 0.5, "logits too flat for a meaningful comparison: " + largest);
                assertTrue(worst <= 1e-5, "logits differ by " + worst);
            }
        }
    }

    @Test
    void lossGradientMatchesFiniteDifferences() throws IOException {
        lossGradientMatchesFiniteDifferences(tinyLlama(false, false, 21));
    }

    @Test
    void qwenLossGradientsMatchFiniteDifferences() throws IOException {
        lossGradientMatchesFiniteDifferences(tinyModel("qwen2", true, false, 23));
        lossGradientMatchesFiniteDifferences(tinyModel("qwen3", false, false, 24));
    }

    private void lossGradientMatchesFiniteDifferences(Path file) throws IOException {
        try (ModelFile mf = ModelFiles.open(file)) {
            TrainableDecoder model = TrainableDecoder.of(mf);
            SplittableRandom rnd = new SplittableRandom(22);
            int[][] inputs = randomTokens(rnd, 2, 32);
            int[][] targets = randomTokens(rnd, 2, 32);
            targets[0][0] = -100;
            targets[1][3] = -100;
            Tape tape = new Tape();
            Variable loss = model.loss(tape, inputs, targets, -100);
            tape.backward(loss);
            assertEquals(0, tape.pending());
            // a sample: three coordinates of every parameter tensor, one of them its largest gradient
            List<double[]> pairs = new ArrayList<>();
            double h = 1e-2;
            for (Map.Entry<String, Variable> e : model.parameters().entrySet()) {
                Variable p = e.getValue();
                float[] g = p.grad();
                assertNotNull(g, e.getKey() + " got no gradient");
                int[] picks = {argmaxAbs(g), rnd.nextInt(g.length), rnd.nextInt(g.length)};
                double diff = 0;
                double norm = 0;
                for (int i : picks) {
                    float saved = p.data()[i];
                    p.data()[i] = (float) (saved + h);
                    double plus = model.loss(new Tape(), inputs, targets, -100).data()[0];
                    p.data()[i] = (float) (saved - h);
                    double minus = model.loss(new Tape(), inputs, targets, -100).data()[0];
                    p.data()[i] = saved;
                    double num = (plus - minus) / (2 * h);
                    diff += (num - g[i]) * (num - g[i]);
                    norm += num * num;
                    pairs.add(new double[] {num, g[i]});
                }
                double rel = Math.sqrt(diff) / Math.sqrt(norm);
                System.out.printf("model gradcheck %-26s rel L2 error %.3e (|sampled grad| %.3e)%n", e.getKey(), rel,
                        Math.sqrt(norm));
                assertTrue(rel <= 1e-2, e.getKey() + ": relative error " + rel);
            }
            double diff = 0;
            double norm = 0;
            for (double[] pr : pairs) {
                diff += (pr[0] - pr[1]) * (pr[0] - pr[1]);
                norm += pr[0] * pr[0];
            }
            double rel = Math.sqrt(diff / norm);
            System.out.printf("model gradcheck %s: %d coordinates, overall rel L2 error %.3e%n", file.getFileName(), pairs.size(), rel);
            assertTrue(rel <= 3e-3, "overall relative error " + rel);
        }
    }

    @Test
    void gradientAccumulationEqualsTheFullBatch() throws IOException {
        try (ModelFile mf = ModelFiles.open(tinyLlama(true, false, 31))) {
            TrainableDecoder model = TrainableDecoder.of(mf);
            SplittableRandom rnd = new SplittableRandom(32);
            int[][] inputs = randomTokens(rnd, 2, 32);
            int[][] targets = randomTokens(rnd, 2, 32);
            Tape tape = new Tape();
            tape.backward(model.loss(tape, inputs, targets, -100));
            Map<String, float[]> full = new java.util.HashMap<>();
            model.parameters().forEach((k, v) -> full.put(k, v.grad().clone()));
            model.zeroGrad();
            for (int b = 0; b < 2; b++) {
                Tape micro = new Tape();
                micro.backward(model.loss(micro, new int[][] {inputs[b]}, new int[][] {targets[b]}, -100), 0.5f);
            }
            double worst = 0;
            for (Map.Entry<String, Variable> e : model.parameters().entrySet()) {
                float[] a = full.get(e.getKey());
                float[] g = e.getValue().grad();
                double diff = 0;
                double norm = 0;
                for (int i = 0; i < a.length; i++) {
                    diff += (a[i] - g[i]) * (double) (a[i] - g[i]);
                    norm += (double) a[i] * a[i];
                }
                worst = Math.max(worst, Math.sqrt(diff / norm));
            }
            System.out.printf("accumulated vs full-batch gradient: worst relative L2 difference %.3e%n", worst);
            assertTrue(worst <= 1e-5, "accumulated gradients differ by " + worst);
        }
    }

    @Test
    void adamWLearnsAFixedBatch() throws IOException {
        try (ModelFile mf = ModelFiles.open(tinyLlama(false, false, 41))) {
            TrainableDecoder model = TrainableDecoder.of(mf);
            SplittableRandom rnd = new SplittableRandom(42);
            int[][] inputs = randomTokens(rnd, 2, 32);
            int[][] targets = randomTokens(rnd, 2, 32);
            var params = model.parameters().values();
            AdamW opt = new AdamW(params, AdamW.Settings.defaults(), AdamW.decayMatrices(true));
            float first = 0;
            float last = 0;
            for (int step = 0; step < 40; step++) {
                model.zeroGrad();
                Tape tape = new Tape();
                Variable loss = model.loss(tape, inputs, targets, -100);
                tape.backward(loss);
                Gradients.clipGlobalNorm(params, 1.0);
                opt.step(LearningRate.warmupCosine(step, 3e-2, 3e-3, 5, 40));
                if (step == 0) {
                    first = loss.data()[0];
                }
                last = loss.data()[0];
            }
            System.out.printf("40 AdamW steps on one batch: loss %.4f -> %.4f%n", first, last);
            assertTrue(last < 0.5 * first, "memorizing one batch should halve the loss: " + first + " -> " + last);
        }
    }

    @Test
    void rejectsMissingOrMisshapenTensorsByName() throws IOException {
        Path good = tinyLlama(false, false, 51);
        for (String broken : new String[] {"blk.1.ffn_up.weight", "blk.0.attn_norm.weight"}) {
            Path bad = dir.resolve("bad.gguf");
            try (dev.plinth.io.gguf.GgufFile g = dev.plinth.io.gguf.GgufFile.open(good)) {
                GgufWriter w = new GgufWriter().putAll(g.metadata());
                for (var info : g.tensorInfos()) {
                    Tensor t = g.tensor(info);
                    if (!info.name().equals(broken)) {
                        w.add(t);
                    } else if (info.shape().length == 1) {
                        w.add(Tensor.ofFloats(broken, new float[3], 3));
                    }
                }
                w.write(bad);
            }
            try (ModelFile mf = ModelFiles.open(bad)) {
                var e = org.junit.jupiter.api.Assertions.assertThrows(dev.plinth.model.UnsupportedModelException.class,
                        () -> TrainableDecoder.of(mf));
                assertTrue(e.getMessage().contains(broken), e.getMessage());
            }
        }
    }

    @Test
    void rejectsRaggedBatchesAndOutOfRangeTokens() throws IOException {
        try (ModelFile mf = ModelFiles.open(tinyLlama(true, false, 61))) {
            TrainableDecoder model = TrainableDecoder.of(mf);
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> model.logits(new Tape(), new int[][] {{1, 2, 3}, {1, 2}}));
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> model.logits(new Tape(), new int[][] {{1, 32}}));
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> model.loss(new Tape(), new int[][] {{1, 2}}, new int[][] {{1, 40}}, -100));
        }
    }

    private static int argmaxAbs(float[] g) {
        int best = 0;
        for (int i = 1; i < g.length; i++) {
            if (Math.abs(g[i]) > Math.abs(g[best])) {
                best = i;
            }
        }
        return best;
    }
}
