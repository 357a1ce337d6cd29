package dev.plinth.api;

import dev.plinth.model.BertModel;
import dev.plinth.model.Embedder;
import dev.plinth.model.Pooling;
import dev.plinth.model.TokenizerLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Sentence embeddings from a BERT-family encoder (MiniLM, BGE, E5) run by Plinth: mean pooling,
 * unit length, the first 256 tokens of a text, as sentence-transformers computes them. The
 * knowledge module opens the all-MiniLM-L6-v2 it bundles as one ({@code Knowledge.defaultEmbedder}).
 *
 * <pre>{@code
 * try (TextEmbedder e = TextEmbedder.open(Path.of("all-MiniLM-L6-v2"))) {
 *     float[] v = e.embed("How do I upgrade Debian?");     // e.dimension() floats, unit length
 * }
 * }</pre>
 */
public final class TextEmbedder implements AutoCloseable {

    private final BertModel model;
    private final TokenizerLoader tokenizer;
    private final Embedder embedder;

    private TextEmbedder(BertModel model, TokenizerLoader tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.embedder = Embedder.meanNormalized(model, tokenizer.tokenizer());
    }

    /** A BERT GGUF, a Hugging Face folder, or an {@code .onnx} file with {@code tokenizer.json} beside it. */
    public static TextEmbedder open(Path model) throws IOException {
        boolean onnx = model.getFileName() != null && model.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
        BertModel bert = BertModel.load(model);
        try {
            return new TextEmbedder(bert, TokenizerLoader.open(model, onnx ? model.resolveSibling("tokenizer.json") : null));
        } catch (IOException | RuntimeException e) {
            bert.close();
            throw e;
        }
    }

    /** The length of every vector. */
    public int dimension() {
        return model.config().hiddenSize();
    }

    /** The embedding of {@code text}. */
    public synchronized float[] embed(String text) {
        return embedder.embed(List.of(text))[0];
    }

    /** One embedding per text, in order (batched). */
    public synchronized List<float[]> embedAll(List<String> texts) {
        return Arrays.asList(embedder.embed(texts));
    }

    /** The token ids {@code text} is embedded from (truncated as the embedder truncates). */
    public int[] tokenize(String text) {
        return embedder.tokenize(text);
    }

    /** One embedding per input of token ids (as the tokenizer would give them), in order. */
    public synchronized List<float[]> embedIds(List<int[]> ids) {
        return Arrays.asList(model.embed(ids, Pooling.MEAN, true));
    }

    /** The size of the vocabulary token ids index. */
    public int vocabSize() {
        return model.config().vocabSize();
    }

    @Override
    public void close() {
        try {
            tokenizer.close();
        } finally {
            model.close();
        }
    }
}
