package dev.plinth.server;

import dev.plinth.model.BertModel;
import dev.plinth.model.Embedder;
import dev.plinth.model.Pooling;
import dev.plinth.model.TokenizerLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** An encoder (BERT family) served at {@code /v1/embeddings}: one request at a time runs it. */
final class EncoderModel implements AutoCloseable {

    private final BertModel model;
    private final TokenizerLoader tokenizer;
    private final Embedder embedder;

    private EncoderModel(BertModel model, TokenizerLoader tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.embedder = Embedder.meanNormalized(model, tokenizer.tokenizer());
    }

    static EncoderModel open(Path path) throws IOException {
        TokenizerLoader tokenizer = TokenizerLoader.open(path, null);
        try {
            return new EncoderModel(BertModel.load(path), tokenizer);
        } catch (IOException | RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /** The token ids a text is embedded from (truncated as the embedder truncates). */
    int[] tokenize(String text) {
        return embedder.tokenize(text);
    }

    /** Embeddings of token-id inputs, as the tokenizer would have given them. */
    synchronized float[][] embedIds(List<int[]> ids) {
        return model.embed(ids, Pooling.MEAN, true);
    }

    int vocabSize() {
        return model.config().vocabSize();
    }

    synchronized float[][] embed(List<String> texts) {
        return embedder.embed(texts);
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}
