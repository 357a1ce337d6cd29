package dev.plinth.model;

import java.util.List;

/**
 * The outcome of one generation.
 *
 * @param text         the generated text, without a stop string or stop token
 * @param tokens       the generated token ids, without the stop token (with those of a stop string)
 * @param finish       why it ended
 * @param promptTokens how many prompt tokens were fed (after any truncation)
 * @param logprobs     one entry per generated token when asked for, else empty
 * @param prefillNanos time to feed the prompt and get the first logits
 * @param decodeNanos  time of the decode loop after that
 */
public record GenerationResult(String text, int[] tokens, FinishReason finish, int promptTokens,
                               List<TokenLogProbs> logprobs, long prefillNanos, long decodeNanos) {

    public GenerationResult {
        tokens = tokens.clone();
        logprobs = List.copyOf(logprobs);
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    /** Prompt tokens per second of the prefill. */
    public double prefillTokensPerSecond() {
        return prefillNanos > 0 ? promptTokens * 1e9 / prefillNanos : 0;
    }

    /** Generated tokens per second after the first. */
    public double decodeTokensPerSecond() {
        return decodeNanos > 0 ? Math.max(tokens.length - 1, 0) * 1e9 / decodeNanos : 0;
    }
}
