package dev.plinth.model;

/** How a sentence embedding is made from an encoder's token states. */
public enum Pooling {
    /** Mean of the sequence's token states (padding never enters: sequences are not padded). */
    MEAN,
    /** The state of the first token ([CLS]). */
    CLS
}
