package dev.plinth.model.json;

import java.util.Set;

/**
 * Constrained decoding for one sequence: before each token the logits of every token whose bytes
 * the grammar cannot take next, or that would leave too few tokens to complete the JSON, are set to
 * minus infinity; the end tokens are allowed only once the JSON is complete.
 */
public final class Constraint {

    private final byte[][] tokenBytes;
    private final Set<Integer> endTokens;
    private JsonGrammar.Alternatives state;

    public Constraint(JsonGrammar.Alternatives start, byte[][] tokenBytes, Set<Integer> endTokens) {
        this.state = start;
        this.tokenBytes = tokenBytes;
        this.endTokens = endTokens;
    }

    /** Whether the JSON is complete and nothing can follow: the sequence ends here. */
    public boolean finished() {
        return state.finished();
    }

    /**
     * Masks {@code logits} for the next token, {@code tokensLeft} (this one included) being all the
     * sequence may still write. With a vocabulary that has single-byte tokens the JSON always
     * completes in time; without any allowed token, the end tokens are let through.
     */
    public void mask(float[] logits, int tokensLeft) {
        boolean any = false;
        for (int t = 0; t < logits.length; t++) {
            if (logits[t] == Float.NEGATIVE_INFINITY) {
                continue;
            }
            if (allowed(t, tokensLeft)) {
                any = true;
            } else {
                logits[t] = Float.NEGATIVE_INFINITY;
            }
        }
        if (!any) {
            endTokens.forEach(t -> logits[t] = 0f);
        }
    }

    private boolean allowed(int token, int tokensLeft) {
        if (endTokens.contains(token)) {
            return state.accepting();
        }
        byte[] bytes = token < tokenBytes.length ? tokenBytes[token] : new byte[0];
        if (bytes.length == 0) {
            return false;
        }
        JsonGrammar.Alternatives next = state.feed(bytes);
        return next != null && next.cost() <= tokensLeft - 1;
    }

    /** Moves past a sampled token (not an end token). */
    public void accept(int token) {
        JsonGrammar.Alternatives next = state.feed(tokenBytes[token]);
        if (next != null) {
            state = next;
        }
    }
}
