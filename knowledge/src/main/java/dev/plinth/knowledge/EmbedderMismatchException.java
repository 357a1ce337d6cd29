package dev.plinth.knowledge;

/** A query or an ingest with another embedder than the one the index was built with. */
public final class EmbedderMismatchException extends KnowledgeException {

    public EmbedderMismatchException(String message) {
        super(message);
    }
}
