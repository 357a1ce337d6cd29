package dev.plinth.model;

/**
 * One sequence being run through a language model: its KV cache and position. The seam between
 * {@link Generator} and a model; {@link DecoderSequence} adapts {@code DecoderModel}.
 */
public interface TokenSequence {

    int vocabSize();

    /** The most tokens this sequence can hold (its context length). */
    int capacity();

    /** Tokens fed so far. */
    int position();

    /**
     * Feeds {@code tokens} (at least one; {@code position() + tokens.length <= capacity()}) and
     * returns the logits predicting the token after the last of them.
     */
    float[] feed(int[] tokens);
}
