package dev.plinth.langchain4j;

import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.content.retriever.ContentRetriever;
import dev.langchain4j.rag.query.Query;
import dev.plinth.api.knowledge.Knowledge;
import dev.plinth.knowledge.Hit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A Plinth knowledge base as LangChain4j's {@link ContentRetriever}: each query is searched by
 * BM25 and by its embedding together (reciprocal rank fusion, as Plinth's own products ground
 * their answers), and the best passages come back with their source path and lines as metadata
 * ({@code document_id}, {@code path}, {@code first_line}, {@code last_line}, {@code location}).
 *
 * <pre>{@code
 * try (LanguageModel base = LanguageModel.openProduct("policy"); Knowledge kb = Knowledge.ofProduct(base.product().orElseThrow())) {
 *     Assistant a = AiServices.builder(Assistant.class).chatModel(new PlinthChatModel(base))
 *             .contentRetriever(new PlinthContentRetriever(kb, 4)).build();
 * }
 * }</pre>
 */
public final class PlinthContentRetriever implements ContentRetriever {

    private final Knowledge knowledge;
    private final int maxResults;

    public PlinthContentRetriever(Knowledge knowledge, int maxResults) {
        if (maxResults < 1) {
            throw new IllegalArgumentException("maxResults must be at least 1, not " + maxResults);
        }
        this.knowledge = knowledge;
        this.maxResults = maxResults;
    }

    @Override
    public List<Content> retrieve(Query query) {
        List<Content> contents = new ArrayList<>();
        try {
            for (Hit h : knowledge.retrieve(query.text(), maxResults)) {
                contents.add(Content.from(Segments.of(h)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return contents;
    }
}
