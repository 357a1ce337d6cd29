package dev.plinth.springai;

import dev.plinth.api.TextEmbedder;
import java.util.ArrayList;
import java.util.List;
import org.springframework.ai.document.Document;
import org.springframework.ai.embedding.Embedding;
import org.springframework.ai.embedding.EmbeddingModel;
import org.springframework.ai.embedding.EmbeddingRequest;
import org.springframework.ai.embedding.EmbeddingResponse;

/**
 * A BERT-family encoder run by Plinth as Spring AI's {@link EmbeddingModel}: unit-length
 * mean-pooled vectors ({@link TextEmbedder}; {@code Knowledge.defaultEmbedder()} is the bundled
 * all-MiniLM-L6-v2). The embedder stays the caller's to close.
 */
public final class PlinthEmbeddingModel implements EmbeddingModel {

    private final TextEmbedder embedder;

    public PlinthEmbeddingModel(TextEmbedder embedder) {
        this.embedder = embedder;
    }

    @Override
    public EmbeddingResponse call(EmbeddingRequest request) {
        List<Embedding> out = new ArrayList<>();
        for (float[] v : embedder.embedAll(request.getInstructions())) {
            out.add(new Embedding(v, out.size()));
        }
        return new EmbeddingResponse(out);
    }

    @Override
    public float[] embed(Document document) {
        return embedder.embed(document.getText());
    }

    @Override
    public int dimensions() {
        return embedder.dimension();
    }
}
