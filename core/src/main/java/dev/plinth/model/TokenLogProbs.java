package dev.plinth.model;

import java.util.List;

/**
 * The log-probability of a chosen token and of the most likely alternatives (most likely first),
 * from the log-softmax of the raw logits after the repetition/presence/frequency penalties, before
 * top-k, top-p, min-p and temperature (so they describe the model, not the truncation).
 */
public record TokenLogProbs(int token, float logprob, List<LogProb> top) {

    public TokenLogProbs {
        top = List.copyOf(top);
    }
}
