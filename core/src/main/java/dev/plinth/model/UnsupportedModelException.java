package dev.plinth.model;

/** A model file the decoder cannot run: unknown architecture, dtype or shape; the message says what is supported. */
public class UnsupportedModelException extends IllegalArgumentException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
