package dev.plinth.api.knowledge;

import dev.plinth.api.TextEmbedder;
import dev.plinth.knowledge.Grounding;
import dev.plinth.knowledge.Hit;
import dev.plinth.knowledge.Ingest;
import dev.plinth.knowledge.KnowledgeBase;
import dev.plinth.knowledge.KnowledgeEmbedder;
import dev.plinth.knowledge.ProductKnowledge;
import dev.plinth.knowledge.SearchMode;
import dev.plinth.product.Product;
import dev.plinth.product.Store;
import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A knowledge base opened for retrieval: one Lucene index searched by BM25, by its embeddings
 * (HNSW), or both fused ({@link SearchMode#HYBRID}, the default), with the embedder it was built
 * with. A knowledge base by name, by folder, or a product's knowledge layer.
 *
 * <pre>{@code
 * try (Knowledge kb = Knowledge.create(Path.of("kb"), "faq", List.of(Path.of("docs")))) {
 *     for (Hit h : kb.retrieve("How do I upgrade?", 4)) {
 *         System.out.println(h.location() + "\n" + h.text());
 *     }
 *     Grounding.Grounded g = kb.ground(List.of(ChatMessage.user("How do I upgrade?")));  // a cited prompt
 * }
 * }</pre>
 */
public final class Knowledge implements AutoCloseable {

    private final KnowledgeBase base;
    private final KnowledgeEmbedder embedder;
    private final Grounding grounding;

    private Knowledge(KnowledgeBase base, KnowledgeEmbedder embedder) {
        this.base = base;
        this.embedder = embedder;
        this.grounding = new Grounding(base, embedder, null, Grounding.DEFAULT_K, SearchMode.HYBRID);
    }

    /**
     * Ingests {@code documents} (files and folders: text, markdown, HTML, PDF, JSONL, code) into a new
     * knowledge base {@code name} in {@code folder}, embedded with the bundled all-MiniLM-L6-v2, and
     * opens it.
     */
    public static Knowledge create(Path folder, String name, List<Path> documents) throws IOException {
        Path home = home();
        try (KnowledgeEmbedder e = KnowledgeEmbedder.openDefault(home)) {
            Ingest.create(folder, name, documents, Ingest.Options.DEFAULT, e, Ingest.Listener.NONE);
        }
        return open(folder);
    }

    /** The knowledge base in {@code folder}, with the embedder its index records. */
    public static Knowledge open(Path folder) throws IOException {
        KnowledgeBase kb = KnowledgeBase.open(folder);
        try {
            return new Knowledge(kb, KnowledgeEmbedder.open(kb.settings().embedder(), home()));
        } catch (IOException | RuntimeException e) {
            kb.close();
            throw e;
        }
    }

    /** The knowledge base {@code name} that {@code plinth knowledge create} made under {@code PLINTH_HOME}. */
    public static Knowledge openNamed(String name) throws IOException {
        return open(KnowledgeBase.folder(home(), name));
    }

    /** {@code product}'s knowledge layer (extracted under the store's home on first use). */
    public static Knowledge ofProduct(Product product) throws IOException {
        ProductKnowledge k = ProductKnowledge.open(product, product.store().root(), null, Grounding.DEFAULT_K, SearchMode.HYBRID);
        return new Knowledge(k.knowledgeBase(), k.embedder());
    }

    /** The bundled all-MiniLM-L6-v2 (384 dimensions) as a {@link TextEmbedder}. */
    public static TextEmbedder defaultEmbedder() throws IOException {
        try (KnowledgeEmbedder e = KnowledgeEmbedder.openDefault(home())) {
            return TextEmbedder.open(e.modelPath());
        }
    }

    private static Path home() {
        return Store.defaultRoot(System.getenv());
    }

    /** The {@code k} passages that best answer {@code query}, BM25 and embeddings fused. */
    public List<Hit> retrieve(String query, int k) throws IOException {
        return retrieve(query, k, SearchMode.HYBRID);
    }

    public synchronized List<Hit> retrieve(String query, int k, SearchMode mode) throws IOException {
        return base.search(mode == SearchMode.BM25 ? null : embedder, query, k, mode);
    }

    /** The {@code k} chunks nearest to {@code vector}, a query embedded with {@link #embedder()}; scores {@code (1 + cos) / 2}. */
    public synchronized List<Hit> retrieveByVector(float[] vector, int k) throws IOException {
        return base.searchVector(vector, k);
    }

    /**
     * {@code conversation} with its last user turn replaced by a prompt that numbers the {@value
     * Grounding#DEFAULT_K} best passages and asks for an answer citing them as {@code [1]}, {@code
     * [2]}; the citations map the numbers back to source files and lines.
     */
    public synchronized Grounding.Grounded ground(List<ChatMessage> conversation) throws IOException {
        return grounding.ground(conversation);
    }

    /** The embedder of the index (queries are embedded with it). */
    public KnowledgeEmbedder embedder() {
        return embedder;
    }

    /** The number of chunks indexed. */
    public int size() throws IOException {
        return base.chunks();
    }

    @Override
    public void close() throws IOException {
        try {
            embedder.close();
        } finally {
            base.close();
        }
    }
}
