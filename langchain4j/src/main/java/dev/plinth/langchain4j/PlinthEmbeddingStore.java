package dev.plinth.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.EmbeddingSearchResult;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.plinth.api.knowledge.Knowledge;
import dev.plinth.knowledge.Hit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A Plinth knowledge base as LangChain4j's {@link EmbeddingStore}, for reading: a search takes a
 * query embedded with the knowledge base's own embedder ({@code new
 * PlinthEmbeddingModel(Knowledge.defaultEmbedder())} for the default one) and returns the nearest
 * passages from its HNSW index, scored {@code (1 + cos) / 2} as LangChain4j scores relevance, with
 * {@code minScore} and a metadata filter applied to them. The index is filled by ingesting
 * documents ({@code Knowledge.create}, {@code plinth knowledge add}), which chunk by structure and
 * record source lines: the {@code add} methods are refused.
 */
public final class PlinthEmbeddingStore implements EmbeddingStore<TextSegment> {

    /** Candidates read per result asked for when a filter may drop some. */
    private static final int FILTER_OVERSAMPLING = 4;

    private final Knowledge knowledge;

    public PlinthEmbeddingStore(Knowledge knowledge) {
        this.knowledge = knowledge;
    }

    @Override
    public EmbeddingSearchResult<TextSegment> search(EmbeddingSearchRequest request) {
        int candidates = request.filter() == null ? request.maxResults() : request.maxResults() * FILTER_OVERSAMPLING;
        List<EmbeddingMatch<TextSegment>> matches = new ArrayList<>();
        try {
            for (Hit h : knowledge.retrieveByVector(request.queryEmbedding().vector(), candidates)) {
                TextSegment segment = Segments.of(h);
                if (h.score() < request.minScore() || (request.filter() != null && !request.filter().test(segment.metadata()))) {
                    continue;
                }
                if (matches.size() < request.maxResults()) {
                    matches.add(new EmbeddingMatch<>(h.score(), Segments.id(h), null, segment));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new EmbeddingSearchResult<>(matches);
    }

    @Override
    public String add(Embedding embedding) {
        throw readOnly();
    }

    @Override
    public void add(String id, Embedding embedding) {
        throw readOnly();
    }

    @Override
    public String add(Embedding embedding, TextSegment segment) {
        throw readOnly();
    }

    @Override
    public List<String> addAll(List<Embedding> embeddings) {
        throw readOnly();
    }

    private static UnsupportedOperationException readOnly() {
        return new UnsupportedOperationException("a Plinth knowledge base is filled by ingesting documents "
                + "(Knowledge.create, plinth knowledge add), which chunks them and records their source lines");
    }
}
