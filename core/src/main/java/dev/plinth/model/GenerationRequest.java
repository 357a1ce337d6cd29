package dev.plinth.model;

import java.util.List;
import java.util.Set;

/**
 * What to generate after a prompt.
 *
 * @param sampling       how to pick each token (seed included)
 * @param maxTokens      the most tokens to generate (at least 1)
 * @param stopTokens     token ids that end generation besides the tokenizer's EOS; not emitted
 * @param stopStrings    texts that end generation when they appear in the output; not emitted
 * @param logprobs       how many top alternatives to report per token: -1 for no log-probabilities,
 *                       0 for the chosen token's alone
 * @param truncatePrompt when the prompt does not fit, keep its first token if it is BOS and its
 *                       end, leaving room for {@code min(maxTokens, context / 2)} tokens, instead
 *                       of throwing {@link ContextOverflowException}
 */
public record GenerationRequest(SamplingParams sampling, int maxTokens, Set<Integer> stopTokens,
                                List<String> stopStrings, int logprobs, boolean truncatePrompt) {

    public GenerationRequest {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens must be at least 1, got " + maxTokens);
        }
        if (logprobs < -1) {
            throw new IllegalArgumentException("logprobs must be -1 (none) or a count, got " + logprobs);
        }
        stopTokens = Set.copyOf(stopTokens);
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("a stop string must not be empty");
            }
        }
    }

    public static GenerationRequest of(SamplingParams sampling, int maxTokens) {
        return new GenerationRequest(sampling, maxTokens, Set.of(), List.of(), -1, false);
    }

    public GenerationRequest withStopStrings(List<String> stops) {
        return new GenerationRequest(sampling, maxTokens, stopTokens, stops, logprobs, truncatePrompt);
    }

    public GenerationRequest withStopTokens(Set<Integer> stops) {
        return new GenerationRequest(sampling, maxTokens, stops, stopStrings, logprobs, truncatePrompt);
    }

    public GenerationRequest withLogprobs(int topN) {
        return new GenerationRequest(sampling, maxTokens, stopTokens, stopStrings, topN, truncatePrompt);
    }

    public GenerationRequest withTruncatePrompt(boolean truncate) {
        return new GenerationRequest(sampling, maxTokens, stopTokens, stopStrings, logprobs, truncate);
    }
}
