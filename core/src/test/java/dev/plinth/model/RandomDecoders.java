package dev.plinth.model;

import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.gguf.GgufWriter;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Seeded random-weight llama-family models written as GGUF files llama.cpp loads. */
final class RandomDecoders {

    /** The variants under test and what each exercises. */
    enum Variant {
        /** Multi-head attention, untied output, interleaved RoPE. */
        LLAMA("llama", 8, 8, 32, false, false, false, false, 10000),
        /** Llama 3: grouped-query attention, rope_freqs.weight frequency divisors, theta 500000. */
        LLAMA3("llama", 8, 2, 32, false, true, false, false, 500000),
        /**
         * Mistral as llama.cpp's converter writes it (architecture llama, GQA); llama.cpp has no
         * sliding window for this architecture, so the window key is not written here.
         */
        MISTRAL("llama", 8, 2, 32, false, false, false, false, 1000000),
        /** Qwen2: q/k/v biases, tied output, NeoX RoPE. */
        QWEN2("qwen2", 8, 2, 32, true, false, true, false, 1000000),
        /** Qwen3: per-head q/k RMSNorm, head size 64 so q is wider than the residual, tied output. */
        QWEN3("qwen3", 8, 2, 64, true, false, false, true, 1000000);

        final String arch;
        final int heads;
        final int kvHeads;
        final int headDim;
        final boolean tied;
        final boolean llama3;
        final boolean bias;
        final boolean qkNorm;
        final double theta;

        Variant(String arch, int heads, int kvHeads, int headDim, boolean tied, boolean llama3, boolean bias,
                boolean qkNorm, double theta) {
            this.arch = arch;
            this.heads = heads;
            this.kvHeads = kvHeads;
            this.headDim = headDim;
            this.tied = tied;
            this.llama3 = llama3;
            this.bias = bias;
            this.qkNorm = qkNorm;
            this.theta = theta;
        }
    }

    private RandomDecoders() {
    }

    /**
     * Writes a random model: {@code hidden} wide, {@code layers} blocks, matrices (embedding and
     * output included) in {@code type}, norms and biases in F32.
     */
    static void write(Path file, Variant v, DType type, int hidden, int ffn, int layers, int vocab, int context,
                      long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        String p = v.arch + ".";
        int qDim = v.heads * v.headDim;
        int kvDim = v.kvHeads * v.headDim;
        GgufWriter w = new GgufWriter()
                .put("general.architecture", GgufValue.of(v.arch))
                .put("general.name", GgufValue.of("plinth-random-" + v.name().toLowerCase()))
                .put(p + "context_length", GgufValue.ofUint32(context))
                .put(p + "embedding_length", GgufValue.ofUint32(hidden))
                .put(p + "block_count", GgufValue.ofUint32(layers))
                .put(p + "feed_forward_length", GgufValue.ofUint32(ffn))
                .put(p + "attention.head_count", GgufValue.ofUint32(v.heads))
                .put(p + "attention.head_count_kv", GgufValue.ofUint32(v.kvHeads))
                .put(p + "attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-6f))
                .put(p + "rope.freq_base", GgufValue.ofFloat32((float) v.theta))
                .put(p + "rope.dimension_count", GgufValue.ofUint32(v.headDim))
                .put(p + "vocab_size", GgufValue.ofUint32(vocab))
                .put("tokenizer.ggml.model", GgufValue.of("none"));
        if (qDim != hidden) {
            w.put(p + "attention.key_length", GgufValue.ofUint32(v.headDim));
            w.put(p + "attention.value_length", GgufValue.ofUint32(v.headDim));
        }
        // logits of standard deviation about 0.5 (tied or not): peaked enough for a stable arg-max, flat enough
        // that llama.cpp's own rounding of activations stays well inside the distribution tolerance
        w.add(matrix("token_embd.weight", vocab, hidden, 0.5 / Math.sqrt(hidden), rnd, type));
        w.add(vector("output_norm.weight", hidden, rnd));
        if (!v.tied) {
            w.add(matrix("output.weight", vocab, hidden, 0.5 / Math.sqrt(hidden), rnd, type));
        }
        if (v.llama3) {
            float[] f = DecoderConfig.llama3FreqFactors(v.headDim, v.theta, 8, 1, 4, 16);
            w.add(Tensor.ofFloats("rope_freqs.weight", f, f.length));
        }
        for (int i = 0; i < layers; i++) {
            String b = "blk." + i + ".";
            w.add(vector(b + "attn_norm.weight", hidden, rnd));
            w.add(matrix(b + "attn_q.weight", qDim, hidden, 1 / Math.sqrt(hidden), rnd, type));
            w.add(matrix(b + "attn_k.weight", kvDim, hidden, 1 / Math.sqrt(hidden), rnd, type));
            w.add(matrix(b + "attn_v.weight", kvDim, hidden, 1 / Math.sqrt(hidden), rnd, type));
            if (v.bias) {
                w.add(gaussian(b + "attn_q.bias", qDim, 0.1, rnd));
                w.add(gaussian(b + "attn_k.bias", kvDim, 0.1, rnd));
                w.add(gaussian(b + "attn_v.bias", kvDim, 0.1, rnd));
            }
            if (v.qkNorm) {
                w.add(vector(b + "attn_q_norm.weight", v.headDim, rnd));
                w.add(vector(b + "attn_k_norm.weight", v.headDim, rnd));
            }
            w.add(matrix(b + "attn_output.weight", hidden, qDim, 1 / Math.sqrt(qDim), rnd, type));
            w.add(vector(b + "ffn_norm.weight", hidden, rnd));
            w.add(matrix(b + "ffn_gate.weight", ffn, hidden, 1 / Math.sqrt(hidden), rnd, type));
            w.add(matrix(b + "ffn_up.weight", ffn, hidden, 1 / Math.sqrt(hidden), rnd, type));
            w.add(matrix(b + "ffn_down.weight", hidden, ffn, 1 / Math.sqrt(ffn), rnd, type));
        }
        w.write(file);
    }

    private static Tensor matrix(String name, int rows, int cols, double std, SplittableRandom rnd, DType type) {
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (gauss(rnd) * std);
        }
        Tensor f32 = Tensor.ofFloats(name, x, rows, cols);
        return type == DType.F32 ? f32 : Quantization.quantize(f32, type);
    }

    /** A norm weight: ones plus noise, so that a missing or misplaced norm shows. */
    private static Tensor vector(String name, int n, SplittableRandom rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (1 + 0.2 * gauss(rnd));
        }
        return Tensor.ofFloats(name, x, n);
    }

    private static Tensor gaussian(String name, int n, double std, SplittableRandom rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (std * gauss(rnd));
        }
        return Tensor.ofFloats(name, x, n);
    }

    private static double gauss(SplittableRandom rnd) {
        double u = rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }
}
