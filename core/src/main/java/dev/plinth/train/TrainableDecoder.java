package dev.plinth.train;

import dev.plinth.io.ModelFile;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.UnsupportedModelException;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import dev.plinth.tensor.autograd.Tape;
import dev.plinth.tensor.autograd.Variable;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
        if (!"GGUF".equals(file.format())) {
            throw new UnsupportedModelException(file.path() + ": training reads GGUF tensor names; got " + file.format());
        }
        DecoderConfig c = DecoderConfig.of(file);
        Map<String, Variable> p = new LinkedHashMap<>();
        int h = c.hiddenSize();
        load(file, p, "token_embd.weight", c.vocabSize(), h);
        boolean tied = file.tensor("output.weight") == null;
        if (!tied) {
            load(file, p, "output.weight", c.vocabSize(), h);
        }
        load(file, p, "output_norm.weight", h);
        for (int i = 0; i < c.layers(); i++) {
            String b = "blk." + i + ".";
            load(file, p, b + "attn_norm.weight", h);
            load(file, p, b + "attn_q.weight", c.qDim(), h);
            load(file, p, b + "attn_k.weight", c.kvDim(), h);
            load(file, p, b + "attn_v.weight", c.kvDim(), h);
            if (c.qkvBias()) {
                load(file, p, b + "attn_q.bias", c.qDim());
                load(file, p, b + "attn_k.bias", c.kvDim());
                load(file, p, b + "attn_v.bias", c.kvDim());
            }
            if (c.qkNorm()) {
                load(file, p, b + "attn_q_norm.weight", c.headDim());
                load(file, p, b + "attn_k_norm.weight", c.headDim());
            }
            load(file, p, b + "attn_output.weight", h, c.qDim());
            load(file, p, b + "ffn_norm.weight", h);
            load(file, p, b + "ffn_gate.weight", c.ffnSize(), h);
            load(file, p, b + "ffn_up.weight", c.ffnSize(), h);
            load(file, p, b + "ffn_down.weight", h, c.ffnSize());
        }
        return new TrainableDecoder(c, p, tied);
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
        DecoderConfig c = config;
        float eps = c.rmsEps();
        Tape.RopeLayout rope = c.ropeLayout() == DecoderConfig.RopeLayout.NEOX ? Tape.RopeLayout.NEOX
                : Tape.RopeLayout.INTERLEAVED;
        Variable x = tape.embedding(p("token_embd.weight"), flat);
        for (int i = 0; i < c.layers(); i++) {
            String l = "blk." + i + ".";
            Variable xn = tape.rmsNorm(x, p(l + "attn_norm.weight"), eps);
            Variable q = projection(tape, xn, l, "attn_q", c.heads(), positions, rope);
            Variable k = projection(tape, xn, l, "attn_k", c.kvHeads(), positions, rope);
            Variable v = tape.linear(xn, p(l + "attn_v.weight"));
            if (c.qkvBias()) {
                v = tape.addBias(v, p(l + "attn_v.bias"));
            }
            Variable att = tape.causalAttention(q, k, v, batch, seq, c.heads(), c.kvHeads(), c.headDim(),
                    c.slidingWindow());
            x = tape.add(x, tape.linear(att, p(l + "attn_output.weight")));
            Variable hn = tape.rmsNorm(x, p(l + "ffn_norm.weight"), eps);
            Variable act = tape.swiglu(tape.linear(hn, p(l + "ffn_gate.weight")), tape.linear(hn, p(l + "ffn_up.weight")));
            x = tape.add(x, tape.linear(act, p(l + "ffn_down.weight")));
        }
        Variable out = tape.rmsNorm(x, p("output_norm.weight"), eps);
        return tape.linear(out, p(tied ? "token_embd.weight" : "output.weight"));
    }

    /** Query or key projection: matrix, bias, per-head norm (as the config says), then RoPE. */
    private Variable projection(Tape tape, Variable xn, String l, String role, int heads, int[] positions,
                                Tape.RopeLayout rope) {
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
        return tape.rope(y, heads, c.headDim(), c.rotaryDim(), positions, c.ropeBase(), c.ropeFreqFactors(), rope);
    }

    /**
     * Mean next-token cross-entropy: {@code targets[b][t]} is the token expected after
     * {@code inputs[b][0..t]}, or {@code ignoreIndex} for positions that do not count.
     */
    public Variable loss(Tape tape, int[][] inputs, int[][] targets, int ignoreIndex) {
        if (targets.length != inputs.length) {
            throw new IllegalArgumentException(inputs.length + " input sequences but " + targets.length + " target rows");
        }
        List<Integer> flat = new ArrayList<>();
        for (int b = 0; b < targets.length; b++) {
            if (targets[b].length != inputs[b].length) {
                throw new IllegalArgumentException("sequence " + b + ": " + inputs[b].length + " inputs but "
                        + targets[b].length + " targets");
            }
            for (int t : targets[b]) {
                flat.add(t);
            }
        }
        Variable logits = logits(tape, inputs);
        return tape.crossEntropy(logits, flat.stream().mapToInt(Integer::intValue).toArray(), ignoreIndex);
    }

    private Variable p(String name) {
        return params.get(name);
    }
}
