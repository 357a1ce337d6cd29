package dev.plinth.model;

import dev.plinth.model.convert.RandomModels;
import dev.plinth.tensor.DType;

/** The llama-family variants the decoder tests run, as seeded random-weight models ({@link RandomModels}). */
final class RandomDecoders {

    /**
     * Logits of standard deviation about 0.5 (tied or not): peaked enough for a stable arg-max, flat
     * enough that llama.cpp's own rounding of activations stays well inside the distribution
     * tolerance; norm weights away from one, so that a missing or misplaced norm shows.
     */
    private static final RandomModels.Init INIT = RandomModels.Init.unitScale(0.5, 0.2, 0.1);

    /** The variants under test and what each exercises. */
    enum Variant {
        /** Multi-head attention, untied output, interleaved RoPE. */
        LLAMA("llama", 8, 8, 32, false, false, 10000),
        /** Llama 3: grouped-query attention, rope_freqs.weight frequency divisors, theta 500000. */
        LLAMA3("llama", 8, 2, 32, false, true, 500000),
        /**
         * Mistral as llama.cpp's converter writes it (architecture llama, GQA); llama.cpp has no
         * sliding window for this architecture, so no window is written here.
         */
        MISTRAL("llama", 8, 2, 32, false, false, 1000000),
        /** Qwen2: q/k/v biases, tied output, NeoX RoPE. */
        QWEN2("qwen2", 8, 2, 32, true, false, 1000000),
        /** Qwen3: per-head q/k RMSNorm, head size 64 so q is wider than the residual, tied output. */
        QWEN3("qwen3", 8, 2, 64, true, false, 1000000);

        final String arch;
        final int heads;
        final int kvHeads;
        final int headDim;
        final boolean tied;
        final boolean llama3;
        final double theta;

        Variant(String arch, int heads, int kvHeads, int headDim, boolean tied, boolean llama3, double theta) {
            this.arch = arch;
            this.heads = heads;
            this.kvHeads = kvHeads;
            this.headDim = headDim;
            this.tied = tied;
            this.llama3 = llama3;
            this.theta = theta;
        }

        DecoderConfig config(int hidden, int ffn, int layers, int vocab, int context) {
            float[] factors = llama3 ? DecoderConfig.llama3FreqFactors(headDim, theta, 8, 1, 4, 16) : null;
            return DecoderConfig.builder(arch).hiddenSize(hidden).ffnSize(ffn).layers(layers).vocabSize(vocab)
                    .contextLength(context).heads(heads).kvHeads(kvHeads).headDim(headDim).rmsEps(1e-6f)
                    .ropeBase(theta).ropeFreqFactors(factors).build();
        }
    }

    private RandomDecoders() {
    }

    /**
     * A random model of {@code v}: {@code hidden} wide, {@code layers} blocks, matrices (embedding
     * and output included) in {@code type}, norms and biases in F32, no vocabulary; written with
     * {@link RandomModels.Builder#writeGguf} or, the same weights, {@link RandomModels.Builder#writeHuggingFace}.
     */
    static RandomModels.Builder model(Variant v, DType type, int hidden, int ffn, int layers, int vocab, int context,
                                      long seed) {
        return RandomModels.builder(v.config(hidden, ffn, layers, vocab, context)).tiedEmbeddings(v.tied)
                .matrixType(type).init(INIT).noVocabulary().seed(seed);
    }
}
