package dev.plinth.model;

/** Why generation ended. */
public enum FinishReason {
    /** A stop token (EOS or an extra one) or a stop string was produced. */
    STOP,
    /** The token budget ({@code maxTokens}) or the context was used up. */
    LENGTH;

    /** The lower-case name used by the OpenAI API and the CLI. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
