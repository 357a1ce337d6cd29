package dev.plinth.train;

import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFormat;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.GgufLayout;
import dev.plinth.model.UnsupportedModelException;
import dev.plinth.model.lora.LoraAdapter;
import dev.plinth.tensor.MatMul;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import dev.plinth.tensor.autograd.Tape;
import dev.plinth.tensor.autograd.Variable;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A llama-family decoder on a {@link Tape}, so that its forward pass can be differentiated: the
 * same computation as {@link dev.plinth.model.DecoderModel} (RMSNorm, grouped-query causal
 * attention with RoPE, SwiGLU feed-forward, residual adds, tied or untied output) over whole
 * sequences at once. Weights carry GGUF tensor names.
 *
 * <p>Two ways to hold the base: every weight an F32 {@link Variable} ({@link #of},
 * {@link #initialize}: pretraining, full fine-tuning), or {@link #frozen}: the matrices stay the
 * memory-mapped {@link Tensor}s of the file in their own dtype (F32 … Q4_K) and only the small
 * vectors are copied, as constants. On a frozen base {@link #addLora} adds trainable LoRA pairs,
 * {@code y = W·x + scale·B·(A·dropout(x))}; on either, {@link #addClassifier} adds a classification
 * head. {@link #trainable} is what an optimizer updates: every weight of an F32 base, or the
 * pairs, plus the head.
 *
 * <pre>{@code
 * TrainableDecoder m = TrainableDecoder.of(ggufFile);
 * Tape tape = new Tape();
 * Variable loss = m.loss(tape, inputs, targets, -100);
 * tape.backward(loss);              // every parameter's grad() now holds d loss / d weight
 * }</pre>
 */
public final class TrainableDecoder {
    private static final double INIT_STD = 0.02;

    /** The classification head's name, as PEFT saves it among {@code modules_to_save}. */
    public static final String SCORE = "score.weight";

    /** One LoRA pair: {@code a [r, in]}, {@code b [out, r]} and the scale of their product. */
    public record LoraPair(Variable a, Variable b, float scale) {
    }

    private final DecoderConfig config;
    private final Map<String, Variable> params;
    private final Map<String, Tensor> frozen;
    private final boolean tied;
    private final Map<String, LoraPair> lora = new LinkedHashMap<>();
    private LoraSettings loraSettings;
    private Variable score;

    private TrainableDecoder(DecoderConfig config, Map<String, Variable> params, boolean tied) {
        this(config, params, Map.of(), tied);
    }

    private TrainableDecoder(DecoderConfig config, Map<String, Variable> params, Map<String, Tensor> frozen, boolean tied) {
        this.config = config;
        this.params = params;
        this.frozen = frozen;
        this.tied = tied;
    }

    /**
     * Copies the weights of a GGUF llama-family model (any dtype {@link Quantization} decodes) into
     * F32 parameters (llama, mistral, qwen2 with its q/k/v biases, qwen3 with its per-head q/k
     * norms, any of them with a sliding attention window).
     */
    public static TrainableDecoder of(ModelFile file) {
        if (file.format() != ModelFormat.GGUF) {
            throw new UnsupportedModelException(file.path() + ": training reads GGUF tensor names; got "
                    + file.format().displayName());
        }
        DecoderConfig c = DecoderConfig.of(file);
        boolean tied = file.tensor("output.weight") == null;
        Map<String, Variable> p = new LinkedHashMap<>();
        shapes(c, tied).forEach((name, shape) -> load(file, p, name, shape));
        return new TrainableDecoder(c, p, tied);
    }

    /**
     * The decoder of a GGUF llama-family model with its weight matrices left in the file, memory-mapped
     * and in their own dtype (any that {@link dev.plinth.tensor.MatMul} multiplies; the token
     * embedding any that {@link Quantization} decodes): nothing in it trains until {@link #addLora}
     * or {@link #addClassifier}. Norm weights and biases are copied as F32 constants. The caller
     * keeps {@code file} open while the decoder is used.
     */
    public static TrainableDecoder frozen(ModelFile file) {
        if (file.format() != ModelFormat.GGUF) {
            throw new UnsupportedModelException(file.path() + ": training reads GGUF tensor names; got "
                    + file.format().displayName());
        }
        DecoderConfig c = DecoderConfig.of(file);
        boolean tied = file.tensor("output.weight") == null;
        Map<String, Variable> vectors = new LinkedHashMap<>();
        Map<String, Tensor> matrices = new LinkedHashMap<>();
        shapes(c, tied).forEach((name, shape) -> {
            if (shape.length == 2) {
                matrices.put(name, frozenMatrix(file, name, shape));
            } else {
                Tensor t = checked(file, name, shape);
                vectors.put(name, Variable.constant(name, Quantization.toF32(t).data().toArray(ValueLayout.JAVA_FLOAT), shape));
            }
        });
        return new TrainableDecoder(c, vectors, matrices, tied);
    }

    private static Tensor frozenMatrix(ModelFile f, String name, int[] shape) {
        Tensor t = checked(f, name, shape);
        boolean embeddingOnly = name.equals("token_embd.weight") && f.tensor("output.weight") != null;
        if (!embeddingOnly && !MatMul.supported(t.dtype())) {
            throw new UnsupportedModelException(f.path() + ": tensor " + name + " is " + t.dtype()
                    + ", which has no matrix product kernel; convert the base (plinth quantize) first");
        }
        return t;
    }

    /**
     * Fresh random weights for a new base, the same for the same seed: every matrix drawn from
     * N(0, 0.02²), the two projections that write into the residual stream ({@code attn_output},
     * {@code ffn_down}) scaled down by 1/√(2·layers) as GPT-2 does, so that the stream's variance
     * does not grow with depth; norm weights 1, biases 0.
     */
    public static TrainableDecoder initialize(DecoderConfig config, boolean tiedEmbeddings, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double residualStd = INIT_STD / Math.sqrt(2.0 * config.layers());
        Map<String, Variable> p = new LinkedHashMap<>();
        shapes(config, tiedEmbeddings).forEach((name, shape) -> {
            float[] data = new float[Arrays.stream(shape).reduce(1, Math::multiplyExact)];
            if (name.endsWith("norm.weight")) {
                Arrays.fill(data, 1f);
            } else if (shape.length == 2) {
                boolean residual = name.endsWith("attn_output.weight") || name.endsWith("ffn_down.weight");
                double std = residual ? residualStd : INIT_STD;
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) (rnd.nextGaussian() * std);
                }
            }
            p.put(name, Variable.parameter(name, data, shape));
        });
        return new TrainableDecoder(config, p, tiedEmbeddings);
    }

    /** {@link #initialize(DecoderConfig, boolean, long)} with the output tied to the token embedding. */
    public static TrainableDecoder initialize(DecoderConfig config, long seed) {
        return initialize(config, true, seed);
    }

    /** A decoder over given F32 weights (a checkpoint's): every expected tensor, of its exact size. */
    static TrainableDecoder fromWeights(DecoderConfig config, boolean tied, Map<String, float[]> weights) {
        Map<String, Variable> p = new LinkedHashMap<>();
        Map<String, int[]> expected = shapes(config, tied);
        if (!expected.keySet().equals(weights.keySet())) {
            throw new IllegalArgumentException("weights " + weights.keySet() + " do not match the model's " + expected.keySet());
        }
        expected.forEach((name, shape) -> p.put(name, Variable.parameter(name, weights.get(name), shape)));
        return new TrainableDecoder(config, p, tied);
    }

    /** Every parameter's name and shape, in GGUF file order. */
    static Map<String, int[]> shapes(DecoderConfig c, boolean tied) {
        Map<String, int[]> s = new LinkedHashMap<>();
        int h = c.hiddenSize();
        s.put("token_embd.weight", new int[] {c.vocabSize(), h});
        if (!tied) {
            s.put("output.weight", new int[] {c.vocabSize(), h});
        }
        s.put("output_norm.weight", new int[] {h});
        for (int i = 0; i < c.layers(); i++) {
            String b = "blk." + i + ".";
            s.put(b + "attn_norm.weight", new int[] {h});
            s.put(b + "attn_q.weight", new int[] {c.qDim(), h});
            s.put(b + "attn_k.weight", new int[] {c.kvDim(), h});
            s.put(b + "attn_v.weight", new int[] {c.kvDim(), h});
            if (c.qkvBias()) {
                s.put(b + "attn_q.bias", new int[] {c.qDim()});
                s.put(b + "attn_k.bias", new int[] {c.kvDim()});
                s.put(b + "attn_v.bias", new int[] {c.kvDim()});
            }
            if (c.qkNorm()) {
                s.put(b + "attn_q_norm.weight", new int[] {c.headDim()});
                s.put(b + "attn_k_norm.weight", new int[] {c.headDim()});
            }
            s.put(b + "attn_output.weight", new int[] {h, c.qDim()});
            s.put(b + "ffn_norm.weight", new int[] {h});
            s.put(b + "ffn_gate.weight", new int[] {c.ffnSize(), h});
            s.put(b + "ffn_up.weight", new int[] {c.ffnSize(), h});
            s.put(b + "ffn_down.weight", new int[] {h, c.ffnSize()});
        }
        return s;
    }

    private static void load(ModelFile f, Map<String, Variable> p, String name, int... shape) {
        float[] data = Quantization.toF32(checked(f, name, shape)).data().toArray(ValueLayout.JAVA_FLOAT);
        p.put(name, Variable.parameter(name, data, shape));
    }

    /** {@code name} from {@code f}, of the expected shape and a dtype {@link Quantization} decodes. */
    private static Tensor checked(ModelFile f, String name, int... shape) {
        Tensor t = f.tensor(name);
        if (t == null) {
            throw new UnsupportedModelException(f.path() + ": tensor " + name + " is missing");
        }
        long[] expected = Arrays.stream(shape).asLongStream().toArray();
        if (!Arrays.equals(t.shape(), expected) || !Quantization.supports(t.dtype())) {
            throw new UnsupportedModelException(f.path() + ": tensor " + name + " is " + t.dtype() + " "
                    + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(expected));
        }
        return t;
    }

    public DecoderConfig config() {
        return config;
    }

    /**
     * Every F32 base weight, by GGUF tensor name, in file order (the output matrix is absent when
     * tied); of a {@link #frozen} base only the norm weights and biases, as constants.
     */
    public Map<String, Variable> parameters() {
        return Collections.unmodifiableMap(params);
    }

    /** Whether the base's matrices stay frozen in the file ({@link #frozen}). */
    public boolean isFrozen() {
        return !frozen.isEmpty();
    }

    /**
     * What an optimizer updates, by name: every base weight of an F32 base, then the LoRA pairs
     * ({@code <weight>.lora_a}, {@code <weight>.lora_b}) and the classification head ({@value #SCORE}).
     */
    public Map<String, Variable> trainable() {
        Map<String, Variable> t = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            if (p.requiresGrad()) {
                t.put(name, p);
            }
        });
        lora.forEach((name, pair) -> {
            if (pair.a().requiresGrad()) {
                t.put(name + ".lora_a", pair.a());
                t.put(name + ".lora_b", pair.b());
            }
        });
        if (score != null && score.requiresGrad()) {
            t.put(SCORE, score);
        }
        return t;
    }

    /**
     * Adds a LoRA pair to each targeted block projection of this frozen base: A drawn as PEFT draws it
     * (kaiming-uniform with a = √5, i.e. U(−1/√in, 1/√in)), B zero, so the model starts as the base;
     * the same seed gives the same pairs.
     */
    public void addLora(LoraSettings settings, long seed) {
        if (!isFrozen()) {
            throw new IllegalStateException("LoRA trains on a frozen base (TrainableDecoder.frozen)");
        }
        if (loraSettings != null) {
            throw new IllegalStateException("this decoder has LoRA pairs already");
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < config.layers(); i++) {
            for (String role : settings.roles()) {
                String name = "blk." + i + "." + role + ".weight";
                Tensor w = frozen.get(name);
                int out = (int) w.dim(0);
                int in = (int) w.dim(1);
                float[] a = new float[settings.rank() * in];
                double bound = 1 / Math.sqrt(in);
                for (int j = 0; j < a.length; j++) {
                    a[j] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
                }
                lora.put(name, new LoraPair(Variable.parameter(name + ".lora_a", a, settings.rank(), in),
                        Variable.parameter(name + ".lora_b", new float[out * settings.rank()], out, settings.rank()),
                        settings.scale()));
            }
        }
        loraSettings = settings;
    }

    /**
     * The trained pairs (and head) as an adapter of this base: copies of A and B with the settings'
     * alpha and rsLoRA flag, the head as the whole tensor {@value #SCORE}, and {@code metadata}.
     */
    public LoraAdapter adapter(Map<String, String> metadata) {
        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
        lora.forEach((name, p) -> pairs.put(name, new LoraAdapter.Pair(copy(name + ".lora_a", p.a()),
                copy(name + ".lora_b", p.b()), (float) loraSettings.alpha())));
        Map<String, Tensor> whole = new LinkedHashMap<>();
        if (score != null) {
            whole.put(SCORE, copy(SCORE, score));
        }
        return new LoraAdapter(GgufLayout.ggufArchitecture(config), loraSettings != null && loraSettings.rsLora(), pairs,
                whole, metadata);
    }

    private static Tensor copy(String name, Variable v) {
        return Tensor.ofFloats(name, v.data().clone(), Arrays.stream(v.shape()).asLongStream().toArray());
    }

    /**
     * Applies a trained adapter to this frozen base for evaluation: its pairs (each scaled as the
     * adapter says, times {@code scale}) and its head ({@value #SCORE}, if it has one), as constants.
     * The pairs must name block projections of this base with their shapes.
     */
    public void apply(LoraAdapter adapter, float scale) {
        if (!isFrozen() || !lora.isEmpty() || score != null) {
            throw new IllegalStateException("an adapter applies to a frozen base without pairs or head");
        }
        adapter.pairs().forEach((name, p) -> {
            Tensor w = frozen.get(name);
            if (w == null || !name.startsWith("blk.") || w.dim(0) != p.outputs() || w.dim(1) != p.inputs()) {
                throw new IllegalArgumentException("the adapter's pair " + name + " [" + p.outputs() + ", " + p.inputs()
                        + "] fits no block projection of this base");
            }
            lora.put(name, new LoraPair(constant(p.a()), constant(p.b()), scale * adapter.scale(p)));
        });
        Tensor head = adapter.wholeTensors().get(SCORE);
        if (head != null) {
            if (head.rank() != 2 || head.dim(1) != config.hiddenSize()) {
                throw new IllegalArgumentException("the adapter's head " + head + " does not read a hidden state of "
                        + config.hiddenSize());
            }
            score = constant(head);
        }
    }

    private static Variable constant(Tensor t) {
        int[] shape = Arrays.stream(t.shape()).mapToInt(Math::toIntExact).toArray();
        return Variable.constant(t.name(), Quantization.toF32(t).data().toArray(ValueLayout.JAVA_FLOAT), shape);
    }

    /** The LoRA pairs by base weight name (empty without {@link #addLora}). */
    public Map<String, LoraPair> lora() {
        return Collections.unmodifiableMap(lora);
    }

    /** The LoRA settings, or null without {@link #addLora}. */
    public LoraSettings loraSettings() {
        return loraSettings;
    }

    /**
     * Adds a classification head {@value #SCORE} {@code [labels, hidden]} (no bias), drawn from
     * N(0, 0.02²) as transformers initialises {@code LlamaForSequenceClassification}'s {@code score}.
     */
    public void addClassifier(int labels, long seed) {
        if (labels < 2) {
            throw new IllegalArgumentException("a classifier needs at least two labels, got " + labels);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = new float[labels * config.hiddenSize()];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextGaussian() * INIT_STD);
        }
        score = Variable.parameter(SCORE, w, labels, config.hiddenSize());
    }

    /** The classification head, or null. */
    public Variable classifier() {
        return score;
    }

    /** Whether the output projection is the token embedding. */
    public boolean tiedEmbeddings() {
        return tied;
    }

    /** Clears every parameter's gradient. */
    public void zeroGrad() {
        params.values().forEach(Variable::zeroGrad);
    }

    /**
     * How a forward pass runs: {@code recompute} each block in backward (activation checkpointing),
     * with LoRA {@code dropout} (training) seeded by {@code seed}, or neither (evaluation).
     */
    public record Pass(boolean recompute, boolean dropout, long seed) {
        /** Evaluation: no dropout, nothing recomputed. */
        public static final Pass EVAL = new Pass(false, false, 0);

        /** A training pass: dropout seeded by {@code seed}, layers recomputed when asked. */
        public static Pass training(boolean recompute, long seed) {
            return new Pass(recompute, true, seed);
        }
    }

    /**
     * Logits {@code [batch·seq, vocab]} for {@code tokens} ({@code batch} sequences of one length,
     * each starting at position 0), recorded on {@code tape}.
     */
    public Variable logits(Tape tape, int[][] tokens) {
        return logits(tape, tokens, false);
    }

    /**
     * {@link #logits(Tape, int[][])}; with {@code recomputeLayers} each transformer block keeps
     * no activations on the tape but its output, and runs again during backward (activation
     * checkpointing: memory per layer for a second forward pass). Gradients are the same.
     */
    public Variable logits(Tape tape, int[][] tokens, boolean recomputeLayers) {
        return logits(tape, tokens, new Pass(recomputeLayers, false, 0));
    }

    /** {@link #logits(Tape, int[][])} run as {@code pass} says. */
    public Variable logits(Tape tape, int[][] tokens, Pass pass) {
        Variable out = tape.rmsNorm(hidden(tape, tokens, pass), p("output_norm.weight"), config.rmsEps());
        return matmul(tape, out, tied ? "token_embd.weight" : "output.weight", pass);
    }

    /**
     * The residual stream after the last block, {@code [batch·seq, hidden]} (before the final
     * norm), for sequences of one length.
     */
    private Variable hidden(Tape tape, int[][] tokens, Pass pass) {
        int batch = tokens.length;
        if (batch == 0 || tokens[0].length == 0) {
            throw new IllegalArgumentException("no tokens");
        }
        int seq = tokens[0].length;
        int[] flat = new int[Math.multiplyExact(batch, seq)];
        int[] positions = new int[flat.length];
        for (int b = 0; b < batch; b++) {
            if (tokens[b].length != seq) {
                throw new IllegalArgumentException("sequence " + b + " has " + tokens[b].length + " tokens, sequence 0 has "
                        + seq + "; pack sequences to one length");
            }
            for (int t = 0; t < seq; t++) {
                flat[b * seq + t] = tokens[b][t];
                positions[b * seq + t] = t;
            }
        }
        Tensor frozenTable = frozen.get("token_embd.weight");
        Variable x = frozenTable != null ? tape.embedding(frozenTable, flat) : tape.embedding(p("token_embd.weight"), flat);
        for (int i = 0; i < config.layers(); i++) {
            int layer = i;
            x = pass.recompute()
                    ? tape.recomputed(x, (t, in) -> block(t, in, layer, batch, seq, positions, pass))
                    : block(tape, x, layer, batch, seq, positions, pass);
        }
        return x;
    }

    /** Transformer block {@code i}: pre-norm attention and pre-norm SwiGLU, each added to the residual stream. */
    private Variable block(Tape tape, Variable x, int i, int batch, int seq, int[] positions, Pass pass) {
        DecoderConfig c = config;
        float eps = c.rmsEps();
        String l = "blk." + i + ".";
        Variable xn = tape.rmsNorm(x, p(l + "attn_norm.weight"), eps);
        Variable q = projection(tape, xn, l, "attn_q", c.heads(), positions, pass);
        Variable k = projection(tape, xn, l, "attn_k", c.kvHeads(), positions, pass);
        Variable v = matmul(tape, xn, l + "attn_v.weight", pass);
        if (c.qkvBias()) {
            v = tape.addBias(v, p(l + "attn_v.bias"));
        }
        Variable att = tape.causalAttention(q, k, v, batch, seq, c.heads(), c.kvHeads(), c.headDim(), c.slidingWindow());
        Variable h = tape.add(x, matmul(tape, att, l + "attn_output.weight", pass));
        Variable hn = tape.rmsNorm(h, p(l + "ffn_norm.weight"), eps);
        Variable act = tape.swiglu(matmul(tape, hn, l + "ffn_gate.weight", pass), matmul(tape, hn, l + "ffn_up.weight", pass));
        return tape.add(h, matmul(tape, act, l + "ffn_down.weight", pass));
    }

    /** Query or key projection: matrix, bias, per-head norm (as the config says), then RoPE. */
    private Variable projection(Tape tape, Variable xn, String l, String role, int heads, int[] positions, Pass pass) {
        DecoderConfig c = config;
        Variable y = matmul(tape, xn, l + role + ".weight", pass);
        if (c.qkvBias()) {
            y = tape.addBias(y, p(l + role + ".bias"));
        }
        if (c.qkNorm()) {
            int rows = y.dim(0);
            Variable perHead = tape.reshape(y, rows * heads, c.headDim());
            y = tape.reshape(tape.rmsNorm(perHead, p(l + role + "_norm.weight"), c.rmsEps()), rows, heads * c.headDim());
        }
        return tape.rope(y, heads, c.headDim(), c.rotaryDim(), positions, c.ropeBase(), c.ropeFreqFactors(),
                c.ropeLayout());
    }

    /**
     * {@code x · Wᵀ} for the weight {@code name} (an F32 variable or a frozen tensor), plus
     * {@code scale·B·(A·dropout(x))} when a LoRA pair adapts it.
     */
    private Variable matmul(Tape tape, Variable x, String name, Pass pass) {
        Tensor f = frozen.get(name);
        LoraPair pair = lora.get(name);
        if (pair == null) {
            return f != null ? tape.linear(x, f) : tape.linear(x, p(name));
        }
        Variable in = pass.dropout() && loraSettings != null && loraSettings.dropout() > 0
                ? tape.dropout(x, loraSettings.dropout(), pass.seed() ^ (name.hashCode() * 0x9E3779B97F4A7C15L))
                : x;
        return tape.loraLinear(x, in, f, pair.a(), pair.b(), pair.scale());
    }

    /**
     * Mean next-token cross-entropy: {@code targets[b][t]} is the token expected after
     * {@code inputs[b][0..t]}, or {@code ignoreIndex} for positions that do not count.
     */
    public Variable loss(Tape tape, int[][] inputs, int[][] targets, int ignoreIndex) {
        return loss(tape, inputs, targets, ignoreIndex, false);
    }

    /** {@link #loss(Tape, int[][], int[][], int)}, recomputing each layer during backward when asked. */
    public Variable loss(Tape tape, int[][] inputs, int[][] targets, int ignoreIndex, boolean recomputeLayers) {
        return loss(tape, inputs, targets, ignoreIndex, new Pass(recomputeLayers, false, 0));
    }

    /** {@link #loss(Tape, int[][], int[][], int)} run as {@code pass} says. */
    public Variable loss(Tape tape, int[][] inputs, int[][] targets, int ignoreIndex, Pass pass) {
        Variable logits = logits(tape, inputs, pass);
        return tape.crossEntropy(logits, flatTargets(inputs, targets), ignoreIndex);
    }

    private static int[] flatTargets(int[][] inputs, int[][] targets) {
        if (targets.length != inputs.length) {
            throw new IllegalArgumentException(inputs.length + " input sequences but " + targets.length + " target rows");
        }
        int[] flat = new int[Arrays.stream(targets).mapToInt(r -> r.length).sum()];
        int at = 0;
        for (int b = 0; b < targets.length; b++) {
            if (targets[b].length != inputs[b].length) {
                throw new IllegalArgumentException("sequence " + b + ": " + inputs[b].length + " inputs but "
                        + targets[b].length + " targets");
            }
            System.arraycopy(targets[b], 0, flat, at, targets[b].length);
            at += targets[b].length;
        }
        return flat;
    }

    /**
     * Class logits {@code [batch, labels]} from the head ({@link #addClassifier}) on the final-normed
     * hidden state at position {@code last[b]} of each sequence (its last token that is not padding),
     * as transformers' {@code LlamaForSequenceClassification} computes them.
     */
    public Variable classify(Tape tape, int[][] tokens, int[] last, Pass pass) {
        if (score == null) {
            throw new IllegalStateException("this decoder has no classification head (addClassifier)");
        }
        if (last.length != tokens.length) {
            throw new IllegalArgumentException(tokens.length + " sequences but " + last.length + " last positions");
        }
        int seq = tokens.length == 0 ? 0 : tokens[0].length;
        int[] rows = new int[last.length];
        for (int b = 0; b < last.length; b++) {
            if (last[b] < 0 || last[b] >= seq) {
                throw new IllegalArgumentException("sequence " + b + ": position " + last[b] + " is outside [0, " + seq + ")");
            }
            rows[b] = b * seq + last[b];
        }
        Variable picked = tape.rows(hidden(tape, tokens, pass), rows);
        return tape.linear(tape.rmsNorm(picked, p("output_norm.weight"), config.rmsEps()), score);
    }

    /**
     * Mean cross-entropy of the classification head: each row of {@code targets} holds the label at
     * one position (the sequence's last token that is not padding) and {@code ignoreIndex} elsewhere.
     */
    public Variable classifierLoss(Tape tape, int[][] inputs, int[][] targets, int ignoreIndex, Pass pass) {
        if (targets.length != inputs.length) {
            throw new IllegalArgumentException(inputs.length + " input sequences but " + targets.length + " target rows");
        }
        int[] last = new int[targets.length];
        int[] labels = new int[targets.length];
        for (int b = 0; b < targets.length; b++) {
            last[b] = -1;
            for (int t = 0; t < targets[b].length; t++) {
                if (targets[b][t] != ignoreIndex) {
                    if (last[b] >= 0) {
                        throw new IllegalArgumentException("sequence " + b + " has labels at " + last[b] + " and " + t);
                    }
                    last[b] = t;
                    labels[b] = targets[b][t];
                }
            }
            if (last[b] < 0) {
                throw new IllegalArgumentException("sequence " + b + " has no label");
            }
        }
        return tape.crossEntropy(classify(tape, inputs, last, pass), labels, ignoreIndex);
    }

    private Variable p(String name) {
        return params.get(name);
    }
}
