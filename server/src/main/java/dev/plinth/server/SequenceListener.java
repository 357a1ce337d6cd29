package dev.plinth.server;

import dev.plinth.model.FinishReason;
import dev.plinth.model.TokenLogProbs;
import java.util.List;

/**
 * What a {@link Sequence} reports while the scheduler runs it. Called on the scheduler's thread:
 * implementations hand the event over and return at once.
 */
interface SequenceListener {

    /** The log-probability of each prompt token after the first (the first is null), for {@code echo}. */
    void promptLogprobs(List<TokenLogProbs> logprobs);

    /** A generated token, the text it completes (often empty: held back) and its log-probabilities, or null. */
    void token(int token, String text, TokenLogProbs logprobs);

    /** The end: why, and text that was held back until now. */
    void finished(FinishReason reason, String tail);

    /** The sequence could not run (the server is closing, or the model failed). */
    void failed(ApiException error);
}
