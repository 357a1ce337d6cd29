package dev.plinth.model;

/** A prompt does not fit the context: it has more tokens than the sequence can hold. */
public final class ContextOverflowException extends RuntimeException {

    private final int promptTokens;
    private final int contextLength;

    public ContextOverflowException(int promptTokens, int contextLength) {
        super("the prompt has " + promptTokens + " tokens but the context holds " + contextLength
                + "; shorten the prompt, raise the context length, or ask for truncation");
        this.promptTokens = promptTokens;
        this.contextLength = contextLength;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int contextLength() {
        return contextLength;
    }
}
