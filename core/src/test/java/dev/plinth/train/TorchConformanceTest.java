package dev.plinth.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.ReferenceProcess;
import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.io.safetensors.SafetensorsFile;
import dev.plinth.io.safetensors.SafetensorsWriter;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import dev.plinth.tensor.autograd.Tape;
import dev.plinth.tensor.autograd.Variable;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Plinth's training against PyTorch (Debian's {@code python3-torch}, installed by
 * {@code .ci/install-references}): for small decoders of each supported shape, the same initial
 * weights and batches go to {@link TrainableDecoder} and to an independent torch implementation
 * ({@code src/test/python/torch_llama.py}), which also runs {@code torch.optim.AdamW} with
 * {@code clip_grad_norm_} for the same ten steps of a warm-up-cosine schedule. Asserted, against
 * torch in float32 (the bounds): the first loss within 1e-5 relative, every parameter's
 * gradient with cosine ≥ 0.9999 and norm within 1e-4 relative, the ten losses within 1e-4
 * relative, each parameter's update over the ten steps with cosine ≥ 1 - 1e-6 and within 1e-3 of its
 * norm; one case accumulates gradients over two micro-batches. Three cases fine-tune a frozen base
 * instead ({@link Adapt}): LoRA on every block projection, rsLoRA on three with a classification
 * head (transformers' {@code LlamaForSequenceClassification} pooling), the torch side written per
 * PEFT's LoRA formula without importing peft; and QLoRA on a Q8_0 base, torch given the decoded
 * weights, compared both with and without llama.cpp's Q8_0 rounding of activations ({@link Bounds}
 * derives the bounds). Torch in float64 is the yardstick that shows how much of the gap is float32 rounding:
 * the test prints, per case, Plinth's and torch-float32's worst distances from it.
 * Skips, with the reason printed, only when python3 cannot import torch.
 */
class TorchConformanceTest {
    private static final int IGNORE = -100;
    private static final int STEPS = 10;
    private static final AdamW.Settings ADAMW = new AdamW.Settings(0.9, 0.95, 1e-8, 0.1);
    private static final double PEAK_LR = 3e-3;
    private static final double MIN_LR = 3e-4;
    private static final int WARMUP = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One decoder shape: {@code kvHeads} below {@code heads} is grouped-query attention; qwen2
     * brings q/k/v biases and NeoX RoPE, qwen3 per-head q/k norms (with heads wider than
     * hidden/heads), mistral a sliding window; {@code rotary} below the head size turns only part
     * of each head. {@code clip} is the global gradient-norm bound: within the norms of the ten
     * steps (4–9 here) so that some steps clip and some do not, or below all of them. With
     * {@code microBatches} k, each step accumulates the gradients of k equal slices of the batch,
     * each slice's mean loss scaled by 1/k. {@code adapt} (null: every weight trains) fine-tunes a
     * frozen base instead.
     */
    record Case(String name, String arch, boolean tied, int heads, int kvHeads, int headDim, int rotary, int window,
                boolean freqFactors, boolean excludeEmbeddings, double clip, int microBatches, int hidden, int ffn,
                Adapt adapt) {
        Case(String name, String arch, boolean tied, int heads, int kvHeads, int headDim, int rotary, int window,
             boolean freqFactors, boolean excludeEmbeddings, double clip, int microBatches) {
            this(name, arch, tied, heads, kvHeads, headDim, rotary, window, freqFactors, excludeEmbeddings, clip, microBatches,
                    48, 80, null);
        }
    }

    /**
     * A fine-tune of a frozen base: LoRA pairs of {@code rank} (scale alpha/r, or alpha/√r with
     * {@code rsLora}) on {@code targets} (none when {@code rank} is 0), a classification head of
     * {@code labels} classes when positive, the base in F32 or, with {@code q8}, Q8_0 (torch gets the
     * decoded weights). B starts non-zero (PEFT's B = 0 would leave A without a gradient to compare).
     */
    record Adapt(int rank, double alpha, boolean rsLora, List<String> targets, int labels, boolean q8) {
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("llama-gqa-untied", "llama", false, 4, 2, 12, 12, 0, false, true, 7.0, 1),
                new Case("mistral-mqa-window-tied", "mistral", true, 4, 1, 12, 8, 7, true, false, 6.5, 1),
                new Case("qwen2-bias-tied", "qwen2", true, 4, 2, 12, 12, 0, false, true, 5.0, 1),
                new Case("qwen3-qknorm-untied", "qwen3", false, 4, 2, 16, 16, 0, false, true, 1.0, 2),
                new Case("llama-lora-r4-all-linear", "llama", false, 4, 2, 12, 12, 0, false, true, 1.5, 2, 48, 80,
                        new Adapt(4, 8, false, LoraSettings.ALL, 0, false)),
                new Case("qwen2-rslora-classifier", "qwen2", true, 4, 2, 12, 12, 0, false, true, 2.0, 1, 48, 80,
                        new Adapt(4, 6, true, List.of("q", "v", "down"), 3, false)),
                new Case("llama-qlora-q8_0", "llama", false, 4, 2, 16, 16, 0, false, true, 1.5, 1, 64, 96,
                        new Adapt(8, 16, false, LoraSettings.ALL, 0, true)));
    }

    private static final int LAYERS = 2;
    private static final int VOCAB = 70;
    private static final int BATCH = 4;
    private static final int SEQ = 20;

    @TempDir
    static Path dir;

    /** Plinth's results per case: the first batch's loss and gradients, then the ten losses and final weights. */
    private record PlinthRun(double loss, Map<String, float[]> grads, double[] losses, double[] gradNorms,
                             Map<String, float[]> initial, Map<String, float[]> last) {
    }

    private static final Map<String, PlinthRun> PLINTH = new LinkedHashMap<>();
    /** Why every case is skipped (python3 lacks torch), or null. */
    private static String skipReason;

    @BeforeAll
    static void trainBothWays() throws Exception {
        String python = python();
        Path script = Path.of("src/test/python/torch_llama.py").toAbsolutePath();
        assertTrue(Files.isRegularFile(script), "missing " + script);
        String missing = torchMissing(python);
        if (missing != null) {
            skipReason = "PyTorch conformance: " + python + " cannot import torch (" + missing
                    + "); install Debian's python3-torch (.ci/install-references does so with apt)";
            System.err.println("SKIPPED: " + skipReason);
            return;
        }
        List<String> command = new ArrayList<>(List.of(python, script.toString(), "conformance"));
        for (Case c : cases().toList()) {
            Path caseDir = Files.createDirectories(dir.resolve(c.name()));
            PLINTH.put(c.name(), prepareAndTrain(c, caseDir));
            command.add(caseDir.toString());
        }
        ReferenceProcess.Result r = ReferenceProcess.run(command, Duration.ofMinutes(5));
        assertTrue(r.succeeded(), "torch_llama.py failed (" + r.lastLine() + "):\n" + r.output() + r.errors());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPyTorch(Case c) throws IOException {
        Assumptions.assumeTrue(skipReason == null, skipReason);
        Path caseDir = dir.resolve(c.name());
        PlinthRun plinth = PLINTH.get(c.name());
        Torch f32 = Torch.read(caseDir, "f32");
        Torch f64 = Torch.read(caseDir, "f64");

        double lossError = rel(plinth.loss(), f32.loss());
        Worst vsF32 = compare(plinth.grads(), f32.grads());
        Worst vsF64 = compare(plinth.grads(), f64.grads());
        Worst torchVsF64 = compare(f32.grads(), f64.grads());
        double stepsError = 0;
        double normsError = 0;
        int clipped = 0;
        for (int s = 0; s < STEPS; s++) {
            stepsError = Math.max(stepsError, rel(plinth.losses()[s], f32.losses()[s]));
            normsError = Math.max(normsError, rel(plinth.gradNorms()[s], f32.gradNorms()[s]));
            clipped += plinth.gradNorms()[s] > c.clip() ? 1 : 0;
        }
        Worst updates = compare(updates(plinth.initial(), plinth.last()), updates(plinth.initial(), f32.last()));
        System.out.printf(Locale.ROOT, "torch conformance %s (torch %s): loss %.7f vs %.7f, relative error %.2e;"
                        + " 10-step losses worst relative error %.2e (last %.6f vs %.6f); gradient norms %.3f..%.3f (clipped in %d"
                        + " steps) worst relative error %.2e%n  10-step weight updates vs torch f32: %s%n  gradients vs torch f32: %s%n  gradients vs torch f64: %s%n"
                        + "  torch f32 vs torch f64:  %s%n",
                c.name(), f32.version(), plinth.loss(), f32.loss(), lossError, stepsError, plinth.losses()[STEPS - 1],
                f32.losses()[STEPS - 1], Arrays.stream(plinth.gradNorms()).min().orElseThrow(),
                Arrays.stream(plinth.gradNorms()).max().orElseThrow(), clipped, normsError, updates, vsF32, vsF64, torchVsF64);

        boolean q8 = c.adapt() != null && c.adapt().q8();
        Bounds bounds = q8 ? Bounds.F32.withTrajectoryOf(Bounds.Q8_UNROUNDED) : Bounds.F32;
        bounds.check("torch f32", lossError, vsF32, stepsError, normsError, updates);
        if (q8) {
            checkAgainstUnroundedActivations(caseDir, plinth);
        }
        assertEquals(plinth.grads().keySet(), f32.grads().keySet(), "parameter names");
    }

    /**
     * How close Plinth must come to torch. {@link #F32} (the bounds): the first loss within
     * 1e-5 relative; each gradient with cosine ≥ 0.9999, norm within 1e-4 and (stricter than the issue
     * asks, with 20x margin) the whole difference within 1e-4 of its norm; the ten losses and gradient
     * norms within 1e-4; each ten-step update with cosine ≥ 1 - 1e-6 and within 1e-3 of its norm
     * (measured worst: cosine 1 - 1e-8 and 1.4e-4, both on qwen2's k bias, whose gradient is only
     * rounding noise (a k bias shifts all of a query's scores alike, which softmax ignores) that Adam's
     * normalisation turns into full-size steps; every other parameter is within 1e-5).
     *
     * <p>{@link #Q8_UNROUNDED}: a Q8_0 base against torch on its decoded weights with activations
     * left in float32. Plinth's products round every activation to Q8_0 first, as llama.cpp does:
     * an error of at most d/2 with d = amax/127 of its 32-block, RMS d/√12; for roughly Gaussian
     * activations amax ≈ 2.5σ, so each product's input carries independent noise of
     * 2.5/(127·√12) ≈ 0.6% of its RMS. A loss averages over the batch's positions, so it moves far
     * less: bound 1e-3 relative (5e-3 over the ten steps, whose weights drift apart). A gradient is
     * built from the activations of every product before and after it, up to 7 per block over 2 blocks
     * plus the output: √15 · 0.6% ≈ 2.3% relative noise, bound at 3σ ≈ 7%, 0.1 with margin; cosine
     * ≥ 1 - 0.1²/2 = 0.995; norms, whose errors average over the tensor, within 3%. Adam divides each
     * step by the gradient's running RMS, which keeps the updates within 0.15 (cosine ≥ 0.99).
     *
     * <p>Against torch rounding its activations to Q8_0 as llama.cpp does (the same arithmetic), the
     * first loss and gradients meet {@link #F32}. The ten steps cannot: once the weights differ by
     * float rounding, some activation on the boundary between two Q8_0 values rounds the other way
     * (measured: the losses agree to 1e-7 for three steps, then part), a jump of d in one element,
     * after which the runs differ as Q8_0 noise makes them; the trajectory gets the bounds of
     * {@link #Q8_UNROUNDED}.
     */
    record Bounds(double loss, double gradCosine, double gradNorm, double gradDiff, double steps, double norms,
                  double updateCosine, double updateDiff) {
        static final Bounds F32 = new Bounds(1e-5, 0.9999, 1e-4, 1e-4, 1e-4, 1e-4, 1 - 1e-6, 1e-3);
        static final Bounds Q8_UNROUNDED = new Bounds(1e-3, 0.995, 0.03, 0.1, 5e-3, 0.03, 0.99, 0.15);

        /** These bounds for the first loss and gradients, {@code other}'s for the ten steps. */
        Bounds withTrajectoryOf(Bounds other) {
            return new Bounds(loss, gradCosine, gradNorm, gradDiff, other.steps, other.norms, other.updateCosine,
                    other.updateDiff);
        }

        void check(String against, double lossError, Worst grads, double stepsError, double normsError, Worst updates) {
            String vs = " (against " + against + ")";
            assertTrue(lossError <= loss, "first loss differs by " + lossError + " relative" + vs);
            assertTrue(grads.cosine() >= gradCosine, "gradient of " + grads.cosineAt() + " has cosine " + grads.cosine() + vs);
            assertTrue(grads.normError() <= gradNorm,
                    "gradient norm of " + grads.normErrorAt() + " differs by " + grads.normError() + " relative" + vs);
            assertTrue(grads.diffError() <= gradDiff,
                    "gradient of " + grads.diffErrorAt() + " is off by " + grads.diffError() + " of its norm" + vs);
            assertTrue(stepsError <= steps, "losses over " + STEPS + " AdamW steps differ by " + stepsError + " relative" + vs);
            assertTrue(normsError <= norms, "global gradient norms differ by " + normsError + " relative" + vs);
            assertTrue(updates.cosine() >= updateCosine, "update of " + updates.cosineAt() + " has cosine "
                    + updates.cosine() + vs);
            assertTrue(updates.diffError() <= updateDiff,
                    "update of " + updates.diffErrorAt() + " is off by " + updates.diffError() + " of its norm" + vs);
        }
    }

    /** The QLoRA case against torch without Q8_0-rounded activations: the bounds derived in {@link Bounds}. */
    private static void checkAgainstUnroundedActivations(Path caseDir, PlinthRun plinth) throws IOException {
        Torch plain = Torch.read(caseDir, "f32-unrounded");
        double stepsError = 0;
        double normsError = 0;
        for (int s = 0; s < STEPS; s++) {
            stepsError = Math.max(stepsError, rel(plinth.losses()[s], plain.losses()[s]));
            normsError = Math.max(normsError, rel(plinth.gradNorms()[s], plain.gradNorms()[s]));
        }
        Worst grads = compare(plinth.grads(), plain.grads());
        Worst updates = compare(updates(plinth.initial(), plinth.last()), updates(plinth.initial(), plain.last()));
        double lossError = rel(plinth.loss(), plain.loss());
        System.out.printf(Locale.ROOT, "  against torch f32 without Q8_0-rounded activations: loss relative error %.2e, 10-step"
                        + " losses %.2e, gradient norms %.2e%n    gradients: %s%n    10-step updates: %s%n", lossError,
                stepsError, normsError, grads, updates);
        Bounds.Q8_UNROUNDED.check("torch f32 without Q8_0-rounded activations", lossError, grads, stepsError, normsError,
                updates);
    }

    // ---- Plinth's side ----

    private static PlinthRun prepareAndTrain(Case c, Path caseDir) throws IOException {
        SplittableRandom rnd = new SplittableRandom(c.name().hashCode());
        Path gguf = caseDir.resolve("model.gguf");
        writeModel(c, rnd.nextLong(), gguf);
        List<int[][]> inputs = new ArrayList<>();
        List<int[][]> targets = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            inputs.add(tokens(rnd, false));
            targets.add(tokens(rnd, true));
        }
        if (c.adapt() != null && c.adapt().labels() > 0) {
            targets.replaceAll(ignored -> classTargets(rnd, c.adapt().labels()));
        }
        try (ModelFile mf = ModelFiles.open(gguf)) {
            TrainableDecoder model = c.adapt() == null ? TrainableDecoder.of(mf) : adapted(c.adapt(), mf, rnd);
            Map<String, Variable> params = model.trainable();
            Map<String, Variable> weights = new LinkedHashMap<>(c.adapt() == null ? params
                    : TrainableDecoder.of(mf).parameters()); // torch gets the base decoded to F32
            weights.putAll(params);
            Map<String, float[]> initial = snapshot(params, false);
            writeCase(c, caseDir, weights, params.keySet(), inputs, targets);
            AdamW opt = new AdamW(params.values(), ADAMW, AdamW.decayMatrices(c.excludeEmbeddings()));
            double[] losses = new double[STEPS];
            double[] norms = new double[STEPS];
            Map<String, float[]> grads = null;
            for (int s = 0; s < STEPS; s++) {
                Gradients.zero(params.values());
                int k = c.microBatches();
                int slice = BATCH / k;
                double loss = 0;
                for (int m = 0; m < k; m++) {
                    Tape tape = new Tape();
                    Variable part = loss(c, model, tape, Arrays.copyOfRange(inputs.get(s), m * slice, (m + 1) * slice),
                            Arrays.copyOfRange(targets.get(s), m * slice, (m + 1) * slice));
                    tape.backward(part, 1f / k);
                    loss += part.data()[0] / k;
                }
                if (s == 0) {
                    grads = snapshot(params, true);
                }
                losses[s] = loss;
                norms[s] = Gradients.clipGlobalNorm(params.values(), c.clip());
                opt.step(LearningRate.warmupCosine(s, PEAK_LR, MIN_LR, WARMUP, STEPS));
            }
            return new PlinthRun(losses[0], grads, losses, norms, initial, snapshot(params, false));
        }
    }

    private static Variable loss(Case c, TrainableDecoder model, Tape tape, int[][] inputs, int[][] targets) {
        return c.adapt() != null && c.adapt().labels() > 0
                ? model.classifierLoss(tape, inputs, targets, IGNORE, TrainableDecoder.Pass.EVAL)
                : model.loss(tape, inputs, targets, IGNORE);
    }

    /** The frozen base with LoRA pairs (B drawn non-zero, N(0, 0.1²)) and a head, as {@code a} says. */
    private static TrainableDecoder adapted(Adapt a, ModelFile mf, SplittableRandom rnd) {
        TrainableDecoder model = TrainableDecoder.frozen(mf);
        if (a.rank() > 0) {
            model.addLora(new LoraSettings(a.rank(), a.alpha(), 0, a.targets(), a.rsLora()), rnd.nextLong());
            model.lora().values().forEach(p -> {
                float[] b = p.b().data();
                for (int i = 0; i < b.length; i++) {
                    b[i] = (float) (rnd.nextGaussian() * 0.1);
                }
            });
        }
        if (a.labels() > 0) {
            model.addClassifier(a.labels(), rnd.nextLong());
        }
        return model;
    }

    /** A class label at each sequence's last position (within its last six; what follows is padding), ignored elsewhere. */
    private static int[][] classTargets(SplittableRandom rnd, int labels) {
        int[][] t = new int[BATCH][SEQ];
        for (int[] row : t) {
            Arrays.fill(row, IGNORE);
            row[SEQ - 1 - rnd.nextInt(6)] = rnd.nextInt(labels);
        }
        return t;
    }

    private static Map<String, float[]> snapshot(Map<String, Variable> params, boolean grads) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((n, v) -> out.put(n, (grads ? v.grad() : v.data()).clone()));
        return out;
    }

    /** Token ids; as targets, about a quarter of the positions (and all of the first sequence's tail) are ignored. */
    private static int[][] tokens(SplittableRandom rnd, boolean targets) {
        int[][] t = new int[BATCH][SEQ];
        for (int b = 0; b < BATCH; b++) {
            for (int i = 0; i < SEQ; i++) {
                boolean ignored = targets && (rnd.nextInt(5) == 0 || (b == 0 && i >= SEQ - 4));
                t[b][i] = ignored ? IGNORE : rnd.nextInt(VOCAB);
            }
        }
        return t;
    }

    /**
     * A GGUF of {@code c}'s shape with weights large enough that logits spread (loss well below
     * ln(vocab) is reachable) and norm weights away from one.
     */
    private static void writeModel(Case c, long seed, Path out) throws IOException {
        float[] factors = c.freqFactors() ? freqFactors(c.rotary()) : null;
        DecoderConfig config = DecoderConfig.builder(c.arch()).hiddenSize(c.hidden()).layers(LAYERS).ffnSize(c.ffn())
                .vocabSize(VOCAB).contextLength(64).heads(c.heads()).kvHeads(c.kvHeads()).headDim(c.headDim())
                .rotaryDim(c.rotary()).slidingWindow(c.window()).ropeFreqFactors(factors).build();
        RandomModels.Builder b = RandomModels.builder(config).tiedEmbeddings(c.tied())
                .init(RandomModels.Init.unitScale(2, 0.3, 0.5)).noVocabulary().seed(seed);
        if (c.adapt() != null && c.adapt().q8()) {
            b.matrixType(DType.Q8_0);
        }
        b.writeGguf(out);
    }

    private static float[] freqFactors(int rotary) {
        float[] f = new float[rotary / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1 + 1.5f * i;
        }
        return f;
    }

    /** weights.safetensors (Plinth's F32 parameters by GGUF name) and case.json for torch_llama.py. */
    private static void writeCase(Case c, Path caseDir, Map<String, Variable> params, java.util.Set<String> trainable,
                                  List<int[][]> inputs, List<int[][]> targets) throws IOException {
        List<Tensor> tensors = new ArrayList<>();
        params.forEach((n, v) -> tensors.add(Tensor.ofFloats(n, v.data().clone(),
                Arrays.stream(v.shape()).asLongStream().toArray())));
        SafetensorsWriter.write(caseDir.resolve("weights.safetensors"), tensors, null);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("layers", LAYERS);
        config.put("heads", c.heads());
        config.put("kv_heads", c.kvHeads());
        config.put("head_dim", c.headDim());
        config.put("rotary_dim", c.rotary());
        config.put("rms_eps", (double) 1e-5f);
        config.put("rope_base", 10000.0);
        config.put("rope_layout", c.arch().startsWith("qwen") ? "neox" : "interleaved");
        config.put("freq_factors", c.freqFactors() ? toDoubles(freqFactors(c.rotary())) : null);
        config.put("window", c.window());
        config.put("qkv_bias", c.arch().equals("qwen2"));
        config.put("qk_norm", c.arch().equals("qwen3"));
        config.put("tied", c.tied());
        if (c.adapt() != null) {
            Adapt a = c.adapt();
            config.put("lora_scale", a.rank() == 0 ? 0.0 : (double) new LoraSettings(a.rank(), a.alpha(), 0, a.targets(),
                    a.rsLora()).scale());
            config.put("classify", a.labels() > 0);
            config.put("q8_activations", a.q8());
        }
        List<Map<String, Object>> batches = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            batches.add(Map.of("inputs", inputs.get(s), "targets", targets.get(s)));
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("config", config);
        json.put("trainable", List.copyOf(trainable));
        json.put("ignore_index", IGNORE);
        json.put("batches", batches);
        json.put("adamw", Map.of("beta1", ADAMW.beta1(), "beta2", ADAMW.beta2(), "eps", ADAMW.eps(),
                "weight_decay", ADAMW.weightDecay(), "exclude_embeddings", c.excludeEmbeddings()));
        json.put("schedule", Map.of("peak", PEAK_LR, "min", MIN_LR, "warmup", WARMUP, "total", STEPS));
        json.put("clip", c.clip());
        json.put("micro_batches", c.microBatches());
        JSON.writeValue(caseDir.resolve("case.json").toFile(), json);
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    // ---- torch's side ----

    private record Torch(String version, double loss, double[] losses, double[] gradNorms, Map<String, float[]> grads,
                         Map<String, float[]> last) {
        static Torch read(Path caseDir, String tag) throws IOException {
            JsonNode j = JSON.readTree(caseDir.resolve("torch-" + tag + ".json").toFile());
            return new Torch(j.get("torch").asText(), j.get("loss").asDouble(), doubles(j.get("losses")),
                    doubles(j.get("grad_norms")),
                    floats(caseDir.resolve("torch-" + tag + "-grads.safetensors")),
                    floats(caseDir.resolve("torch-" + tag + "-final.safetensors")));
        }

        private static double[] doubles(JsonNode array) {
            double[] d = new double[array.size()];
            for (int i = 0; i < d.length; i++) {
                d[i] = array.get(i).asDouble();
            }
            return d;
        }

        private static Map<String, float[]> floats(Path file) throws IOException {
            Map<String, float[]> out = new LinkedHashMap<>();
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                f.tensorInfos().forEach(t -> out.put(t.name(), f.tensor(t.name()).data().toArray(ValueLayout.JAVA_FLOAT)));
            }
            return out;
        }
    }

    /** System property {@code plinth.python}, else Debian's /usr/bin/python3 (where apt installs torch), else python3. */
    private static String python() {
        String p = System.getProperty("plinth.python");
        if (p != null && !p.isBlank()) {
            return p;
        }
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    /** Null when {@code python} imports torch, else why not. */
    private static String torchMissing(String python) throws IOException {
        ReferenceProcess.Result r = ReferenceProcess.run(List.of(python, "-c", "import torch"), Duration.ofMinutes(2));
        return r.succeeded() ? null : r.lastLine();
    }

    // ---- distances ----

    /** The worst per-parameter distances and where they occur. */
    record Worst(double cosine, String cosineAt, double normError, String normErrorAt, double diffError,
                 String diffErrorAt) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "min cosine 1 - %.1e (%s), max norm error %.2e (%s), max |a-b|/|b| %.2e (%s)",
                    1 - cosine, cosineAt, normError, normErrorAt, diffError, diffErrorAt);
        }
    }

    /** Each parameter's change over the ten steps: {@code last - initial}. */
    private static Map<String, float[]> updates(Map<String, float[]> initial, Map<String, float[]> last) {
        Map<String, float[]> out = new LinkedHashMap<>();
        initial.forEach((n, init) -> out.put(n, minus(last.get(n), init)));
        return out;
    }

    /** The worst per-parameter distances of {@code a} from {@code b} (gradients, or weight updates). */
    private static Worst compare(Map<String, float[]> a, Map<String, float[]> b) {
        double cos = 1;
        double norm = 0;
        double diff = 0;
        String cosAt = "-";
        String normAt = "-";
        String diffAt = "-";
        for (var e : a.entrySet()) {
            float[] x = e.getValue();
            float[] y = b.get(e.getKey());
            assertTrue(y != null && y.length == x.length, "torch has no tensor like Plinth's for " + e.getKey());
            double c = cosine(x, y);
            double n = rel(l2(x), l2(y));
            double d = l2(minus(x, y)) / l2(y);
            if (c < cos) {
                cos = c;
                cosAt = e.getKey();
            }
            if (n > norm) {
                norm = n;
                normAt = e.getKey();
            }
            if (d > diff) {
                diff = d;
                diffAt = e.getKey();
            }
        }
        return new Worst(cos, cosAt, norm, normAt, diff, diffAt);
    }

    private static double rel(double a, double b) {
        return Math.abs(a - b) / Math.abs(b);
    }

    private static double cosine(float[] a, float[] b) {
        double ab = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
        }
        return ab / (l2(a) * l2(b));
    }

    private static double l2(float[] a) {
        double s = 0;
        for (float v : a) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

    private static float[] minus(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }
}
