package dev.plinth.model;

import dev.plinth.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sentence embeddings from a BERT-family encoder: tokenize (with [CLS]/[SEP]), truncate to
 * {@code maxTokens} keeping the final [SEP], run the texts in batches of about
 * {@value #BATCH_TOKENS} tokens, pool and optionally L2-normalise.
 */
public final class Embedder {
    static final int BATCH_TOKENS = 4096;

    private final BertModel model;
    private final Tokenizer tokenizer;
    private final Pooling pooling;
    private final boolean normalize;
    private final int maxTokens;

    public Embedder(BertModel model, Tokenizer tokenizer, Pooling pooling, boolean normalize, int maxTokens) {
        if (maxTokens < 2 || maxTokens > model.config().maxPositions()) {
            throw new IllegalArgumentException("maxTokens " + maxTokens + " must lie in [2, "
                    + model.config().maxPositions() + "]");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.pooling = pooling;
        this.normalize = normalize;
        this.maxTokens = maxTokens;
    }

    /** Sentence-transformers' recipe for MiniLM, BGE and E5 style models: mean pooling, unit length, 256 tokens at most. */
    public static Embedder meanNormalized(BertModel model, Tokenizer tokenizer) {
        return new Embedder(model, tokenizer, Pooling.MEAN, true, Math.min(256, model.config().maxPositions()));
    }

    /** The token ids one text is embedded from. */
    public int[] tokenize(String text) {
        int[] ids = tokenizer.encode(text, true, false);
        if (ids.length <= maxTokens) {
            return ids;
        }
        int[] cut = Arrays.copyOf(ids, maxTokens);
        cut[maxTokens - 1] = ids[ids.length - 1];
        return cut;
    }

    /** One embedding per text, in order. */
    public float[][] embed(List<String> texts) {
        float[][] out = new float[texts.size()][];
        List<int[]> batch = new ArrayList<>();
        int batchStart = 0;
        int batchTokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            int[] ids = tokenize(texts.get(i));
            if (!batch.isEmpty() && batchTokens + ids.length > BATCH_TOKENS) {
                flush(batch, batchStart, out);
                batchStart = i;
                batchTokens = 0;
            }
            batch.add(ids);
            batchTokens += ids.length;
        }
        flush(batch, batchStart, out);
        return out;
    }

    private void flush(List<int[]> batch, int start, float[][] out) {
        if (batch.isEmpty()) {
            return;
        }
        float[][] e = model.embed(batch, pooling, normalize);
        System.arraycopy(e, 0, out, start, e.length);
        batch.clear();
    }
}
