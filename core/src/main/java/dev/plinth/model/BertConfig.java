package dev.plinth.model;

import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.hf.HfConfig;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The shape of a BERT-family encoder (BERT, MiniLM, BGE, E5): post-LayerNorm layers of
 * bidirectional self-attention and a GELU (erf) feed-forward block.
 */
public record BertConfig(int vocabSize, int hiddenSize, int layers, int heads, int intermediateSize,
                         int maxPositions, int typeVocabSize, float layerNormEps) {

    public BertConfig {
        positive("vocabSize", vocabSize);
        positive("hiddenSize", hiddenSize);
        positive("layers", layers);
        positive("heads", heads);
        positive("intermediateSize", intermediateSize);
        positive("maxPositions", maxPositions);
        positive("typeVocabSize", typeVocabSize);
        if (hiddenSize % heads != 0) {
            throw new IllegalArgumentException("hiddenSize " + hiddenSize + " is not a multiple of heads " + heads);
        }
        if (!(layerNormEps > 0) || !Float.isFinite(layerNormEps)) {
            throw new IllegalArgumentException("layerNormEps must be positive, is " + layerNormEps);
        }
    }

    public int headDim() {
        return hiddenSize / heads;
    }

    /** From a Hugging Face {@code config.json} of a BERT-family model. */
    public static BertConfig fromHf(HfConfig c) throws ModelFormatException {
        Path f = c.file();
        return build(f, () -> new BertConfig(
                need(f, "vocab_size", c.vocabSize()),
                need(f, "hidden_size", c.hiddenSize()),
                need(f, "num_hidden_layers", c.numHiddenLayers()),
                need(f, "num_attention_heads", c.numAttentionHeads()),
                need(f, "intermediate_size", c.intermediateSize()),
                need(f, "max_position_embeddings", c.maxPositionEmbeddings()),
                c.raw().path("type_vocab_size").asInt(2),
                (float) c.layerNormEps().orElse(1e-12)));
    }

    /** From a GGUF file's {@code bert.*} metadata (llama.cpp's BERT conversion). */
    public static BertConfig fromGguf(GgufFile g) throws ModelFormatException {
        String arch = g.getString("general.architecture", "");
        if (!arch.equals("bert")) {
            throw new ModelFormatException(g.path(), "general.architecture", -1, "is '" + arch + "', not 'bert'");
        }
        long vocab = g.tensorInfo("token_embd.weight") == null ? 0 : g.tensorInfo("token_embd.weight").shape()[0];
        long types = g.tensorInfo("token_types.weight") == null ? 2 : g.tensorInfo("token_types.weight").shape()[0];
        return build(g.path(), () -> new BertConfig(
                (int) vocab,
                (int) g.getLong("bert.embedding_length", 0),
                (int) g.getLong("bert.block_count", 0),
                (int) g.getLong("bert.attention.head_count", 0),
                (int) g.getLong("bert.feed_forward_length", 0),
                (int) g.getLong("bert.context_length", 0),
                (int) types,
                (float) g.getDouble("bert.attention.layer_norm_epsilon", 1e-12)));
    }

    private interface Maker {
        BertConfig make() throws ModelFormatException;
    }

    private static BertConfig build(Path file, Maker m) throws ModelFormatException {
        try {
            return m.make();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, null, -1, "not a usable BERT configuration: " + e.getMessage(), e);
        }
    }

    private static int need(Path file, String key, OptionalInt v) throws ModelFormatException {
        if (v.isEmpty()) {
            throw new ModelFormatException(file, key, -1, "missing; a BERT model needs it");
        }
        return v.getAsInt();
    }

    private static void positive(String what, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be positive, is " + v);
        }
    }
}
