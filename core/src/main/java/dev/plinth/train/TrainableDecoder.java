package dev.plinth.train;

import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFormat;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.UnsupportedModelException;
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
 * A llama-family decoder whose weights are F32 {@link Variable}s, so that its forward pass on a
 * {@link Tape} can be differentiated: the same computation as {@link dev.plinth.model.DecoderModel}
 * (RMSNorm, grouped-query causal attention with RoPE, SwiGLU feed-forward, residual adds, tied or
 * untied output) over whole sequences at once. Parameters carry GGUF tensor names.
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

    private final DecoderConfig config;
    private final Map<String, Variable> params;
    private final boolean tied;

    private TrainableDecoder(DecoderConfig config, Map<String, Variable> params, boolean tied) {
        this.config = config;
        this.params = params;
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
        Tensor t = f.tensor(name);
        if (t == null) {
            throw new UnsupportedModelException(f.path() + ": tensor " + name + " is missing");
        }
        long[] expected = Arrays.stream(shape).asLongStream().toArray();
        if (!Arrays.equals(t.shape(), expected) || !Quantization.supports(t.dtype())) {
            throw new UnsupportedModelException(f.path() + ": tensor " + name + " is " + t.dtype() + " "
                    + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(expected));
        }
        float[] data = Quantization.toF32(t).data().toArray(ValueLayout.JAVA_FLOAT);
        p.put(name, Variable.parameter(name, data, shape));
    }

    public DecoderConfig config() {
        return config;
    }

    /** Every parameter, by GGUF tensor name, in file order (the output matrix is absent when tied). */
    public Map<String, Variable> parameters() {
        return Collections.unmodifiableMap(params);
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
        Variable x = tape.embedding(p("token_embd.weight"), flat);
        for (int i = 0; i < config.layers(); i++) {
            int layer = i;
            x = recomputeLayers
                    ? tape.recomputed(x, (t, in) -> block(t, in, layer, batch, seq, positions))
                    : block(tape, x, layer, batch, seq, positions);
        }
        Variable out = tape.rmsNorm(x, p("output_norm.weight"), config.rmsEps());
        return tape.linear(out, p(tied ? "token_embd.weight" : "output.weight"));
    }

    /** Transformer block {@code i}: pre-norm attention and pre-norm SwiGLU, each added to the residual stream. */
    private Variable block(Tape tape, Variable x, int i, int batch, int seq, int[] positions) {
        DecoderConfig c = config;
        float eps = c.rmsEps();
        String l = "blk." + i + ".";
        Variable xn = tape.rmsNorm(x, p(l + "attn_norm.weight"), eps);
        Variable q = projection(tape, xn, l, "attn_q", c.heads(), positions);
        Variable k = projection(tape, xn, l, "attn_k", c.kvHeads(), positions);
        Variable v = tape.linear(xn, p(l + "attn_v.weight"));
        if (c.qkvBias()) {
            v = tape.addBias(v, p(l + "attn_v.bias"));
        }
        Variable att = tape.causalAttention(q, k, v, batch, seq, c.heads(), c.kvHeads(), c.headDim(), c.slidingWindow());
        Variable h = tape.add(x, tape.linear(att, p(l + "attn_output.weight")));
        Variable hn = tape.rmsNorm(h, p(l + "ffn_norm.weight"), eps);
        Variable act = tape.swiglu(tape.linear(hn, p(l + "ffn_gate.weight")), tape.linear(hn, p(l + "ffn_up.weight")));
        return tape.add(h, tape.linear(act, p(l + "ffn_down.weight")));
    }

    /** Query or key projection: matrix, bias, per-head norm (as the config says), then RoPE. */
    private Variable projection(Tape tape, Variable xn, String l, String role, int heads, int[] positions) {
        DecoderConfig c = config;
        Variable y = tape.linear(xn, p(l + role + ".weight"));
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
     * Mean next-token cross-entropy: {@code targets[b][t]} is the token expected after
     * {@code inputs[b][0..t]}, or {@code ignoreIndex} for positions that do not count.
     */
    public Variable loss(Tape tape, int[][] inputs, int[][] targets, int ignoreIndex) {
        return loss(tape, inputs, targets, ignoreIndex, false);
    }

    /** {@link #loss(Tape, int[][], int[][], int)}, recomputing each layer during backward when asked. */
    public Variable loss(Tape tape, int[][] inputs, int[][] targets, int ignoreIndex, boolean recomputeLayers) {
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
        Variable logits = logits(tape, inputs, recomputeLayers);
        return tape.crossEntropy(logits, flat, ignoreIndex);
    }

    private Variable p(String name) {
        return params.get(name);
    }
}
