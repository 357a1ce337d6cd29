package dev.plinth.model;

import java.io.IOException;

/** A model that carries no vocabulary and has no tokenizer file beside it: the caller must name one. */
public final class MissingTokenizerException extends IOException {
    public MissingTokenizerException(String message) {
        super(message);
    }
}
