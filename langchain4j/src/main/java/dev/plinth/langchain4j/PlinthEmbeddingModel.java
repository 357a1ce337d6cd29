package dev.plinth.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.plinth.api.TextEmbedder;
import java.util.ArrayList;
import java.util.List;

/**
 * A BERT-family encoder run by Plinth as LangChain4j's {@link EmbeddingModel}: unit-length
 * mean-pooled vectors ({@link TextEmbedder}). {@code new PlinthEmbeddingModel(Knowledge.defaultEmbedder())}
 * is the all-MiniLM-L6-v2 Plinth bundles, the embedder of its knowledge bases. The embedder stays
 * the caller's to close.
 */
public final class PlinthEmbeddingModel implements EmbeddingModel {

    private final TextEmbedder embedder;

    public PlinthEmbeddingModel(TextEmbedder embedder) {
        this.embedder = embedder;
    }

    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        List<Embedding> out = new ArrayList<>();
        for (float[] v : embedder.embedAll(segments.stream().map(TextSegment::text).toList())) {
            out.add(Embedding.from(v));
        }
        return Response.from(out);
    }

    @Override
    public int dimension() {
        return embedder.dimension();
    }
}
