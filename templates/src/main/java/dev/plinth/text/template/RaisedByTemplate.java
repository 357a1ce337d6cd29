package dev.plinth.text.template;

/** Thrown by the template function {@code raise_exception(message)}. */
final class RaisedByTemplate extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RaisedByTemplate(String message) {
        super(message);
    }
}
