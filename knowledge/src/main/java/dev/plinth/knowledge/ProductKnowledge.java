package dev.plinth.knowledge;

import dev.plinth.product.Product;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A product's knowledge opened for answering: its knowledge layer's index (extracted under the
 * store's home on first use), the embedder the index was built with, and the {@link Grounding}
 * that turns a user's turn into a prompt with numbered passages. The CLI's {@code run}/{@code chat}
 * and the server open a product's knowledge through this one class.
 */
public final class ProductKnowledge implements AutoCloseable {
    private final KnowledgeBase knowledge;
    private final KnowledgeEmbedder embedder;
    private final Grounding grounding;

    private ProductKnowledge(KnowledgeBase knowledge, KnowledgeEmbedder embedder, Grounding grounding) {
        this.knowledge = knowledge;
        this.embedder = embedder;
        this.grounding = grounding;
    }

    /**
     * Opens {@code product}'s knowledge ({@code product.knowledge()} must be present), with the prompt
     * {@code template} (null: {@link Grounding#DEFAULT_TEMPLATE}) and {@code k} passages per turn.
     *
     * @throws IllegalArgumentException when the template lacks a placeholder or k is below 1
     */
    public static ProductKnowledge open(Product product, Path home, String template, int k, SearchMode mode)
            throws IOException {
        KnowledgeBase kb = KnowledgeLayer.open(product, home);
        try {
            KnowledgeEmbedder e = KnowledgeEmbedder.open(kb.settings().embedder(), home);
            try {
                return new ProductKnowledge(kb, e, new Grounding(kb, e, template, k, mode));
            } catch (RuntimeException ex) {
                e.close();
                throw ex;
            }
        } catch (IOException | RuntimeException ex) {
            kb.close();
            throw ex;
        }
    }

    public Grounding grounding() {
        return grounding;
    }

    public KnowledgeBase knowledgeBase() {
        return knowledge;
    }

    public KnowledgeEmbedder embedder() {
        return embedder;
    }

    @Override
    public void close() throws IOException {
        try {
            embedder.close();
        } finally {
            knowledge.close();
        }
    }
}
