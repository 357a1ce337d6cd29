package dev.plinth.model;

import dev.plinth.tensor.Activations;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * Perplexity of a decoder on a token stream, the way {@code llama-perplexity} measures it: the stream
 * is cut into consecutive windows of {@code context} tokens, each evaluated from an empty cache, and
 * every token after a window's first is scored by the negative log-likelihood the model gave it.
 * Unlike llama.cpp, which scores only the second half of each window, every position counts, so
 * short held-out files still give a figure; the two agree on long texts up to the context effect.
 */
public final class Perplexity {

    /** The result: how many tokens were scored and their mean negative log-likelihood in nats. */
    public record Result(long tokensScored, double meanNll) {
        /** {@code exp(mean NLL)}. */
        public double perplexity() {
            return Math.exp(meanNll);
        }

        /** Mean NLL in bits per token. */
        public double bitsPerToken() {
            return meanNll / Math.log(2);
        }
    }

    private Perplexity() {
    }

    /**
     * Scores {@code tokens} in windows of {@code context} tokens (at most the model's own context);
     * {@code progress} receives the number of tokens evaluated so far after each window.
     */
    public static Result of(DecoderModel model, int[] tokens, int context, LongConsumer progress) {
        if (context < 2) {
            throw new IllegalArgumentException("a perplexity window needs at least 2 tokens, got " + context);
        }
        if (tokens.length < 2) {
            throw new IllegalArgumentException("perplexity needs at least 2 tokens, got " + tokens.length);
        }
        int vocab = model.vocabSize();
        DecoderModel.Session session = model.newSession(context);
        double nll = 0;
        long scored = 0;
        for (int from = 0; from + 1 < tokens.length; from += context) {
            int[] window = Arrays.copyOfRange(tokens, from, Math.min(tokens.length, from + context));
            session.truncate(0);
            float[] logits = model.forwardAll(session, window);
            for (int i = 0; i + 1 < window.length; i++) {
                nll += negativeLogLikelihood(logits, i * vocab, vocab, window[i + 1]);
                scored++;
            }
            progress.accept(from + window.length);
        }
        return new Result(scored, nll / scored);
    }

    /** {@code -log softmax(logits[off..off+vocab))[target]}. */
    static double negativeLogLikelihood(float[] logits, int off, int vocab, int target) {
        if (target < 0 || target >= vocab) {
            throw new IllegalArgumentException("token id " + target + " is outside the vocabulary of " + vocab);
        }
        return Activations.logSumExp(logits, off, vocab) - logits[off + target];
    }
}
