package dev.plinth.knowledge;

/** A knowledge base that is missing, busy, or asked to do what it cannot, in the user's terms. */
public class KnowledgeException extends RuntimeException {

    public KnowledgeException(String message) {
        super(message);
    }

    public KnowledgeException(String message, Throwable cause) {
        super(message, cause);
    }
}
