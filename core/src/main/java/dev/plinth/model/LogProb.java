package dev.plinth.model;

/** A token and its natural-log probability. */
public record LogProb(int token, float logprob) {
}
