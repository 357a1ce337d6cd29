package dev.plinth.server;

import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.DecoderModel;
import dev.plinth.model.FinishReason;
import dev.plinth.model.Sampler;
import dev.plinth.model.StopMatcher;
import dev.plinth.model.TokenLogProbs;
import dev.plinth.model.TokenStreamDecoder;
import dev.plinth.model.json.Constraint;
import dev.plinth.model.json.TokenBytes;
import dev.plinth.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * One generated choice as the {@link Scheduler} runs it, step by step: its prompt is fed in chunks
 * (prefill), then one token per step (decode). It owns its KV cache (a session of {@code capacity}
 * positions, allocated on admission and dropped when it ends) and its sampling state. Everything
 * but {@link #cancel} runs on the scheduler's thread.
 */
final class Sequence {

    private final String group;
    private final int[] prompt;
    private final List<AppliedAdapter> adapters;
    private final GenerationSettings settings;
    private final Set<Integer> stopTokens;
    private final Tokenizer tokenizer;
    private final SequenceListener listener;
    private final int capacity;
    private final long kvBytes;
    private final long createdNanos = System.nanoTime();
    private volatile boolean cancelled;

    private DecoderModel.Session session;
    private Sampler sampler;
    private TokenStreamDecoder decoder;
    private StopMatcher stops;
    private int fed;
    private int generated;
    private int pending = -1;
    private volatile boolean done;
    private Constraint constraint;
    private float[] lastPromptRow;
    private List<TokenLogProbs> promptLogprobs;
    private long firstTokenNanos;

    /**
     * @param group      sequences with the same group apply the same adapters (batched next to each other)
     * @param stopTokens token ids that end the sequence besides EOS
     */
    Sequence(String group, int[] prompt, List<AppliedAdapter> adapters, GenerationSettings settings,
             Set<Integer> stopTokens, Tokenizer tokenizer, long kvBytesPerPosition, SequenceListener listener) {
        this.group = group;
        this.prompt = prompt;
        this.adapters = adapters;
        this.settings = settings;
        this.stopTokens = stopTokens;
        this.tokenizer = tokenizer;
        this.listener = listener;
        this.capacity = prompt.length + settings.maxTokens();
        this.kvBytes = kvBytesPerPosition * capacity;
    }

    String group() {
        return group;
    }

    /** Bytes of KV cache this sequence holds while it runs. */
    long kvBytes() {
        return kvBytes;
    }

    int promptTokens() {
        return prompt.length;
    }

    int generatedTokens() {
        return generated;
    }

    long createdNanos() {
        return createdNanos;
    }

    /** When the first token was sampled (0 before). */
    long firstTokenNanos() {
        return firstTokenNanos;
    }

    /** Asks the scheduler to drop this sequence at its next step; safe from any thread. */
    void cancel() {
        cancelled = true;
    }

    boolean cancelled() {
        return cancelled;
    }

    boolean done() {
        return done;
    }

    /** Allocates the KV cache and the sampling state (on admission). */
    void start(DecoderModel model) {
        session = model.newSession(capacity, adapters);
        sampler = new Sampler(settings.sampling(), model.vocabSize());
        for (int t : prompt) {
            sampler.accept(t);
        }
        decoder = new TokenStreamDecoder(tokenizer, prompt[prompt.length - 1]);
        stops = new StopMatcher(settings.stops());
        if (settings.grammar() != null) {
            Set<Integer> ends = new java.util.HashSet<>(stopTokens);
            if (tokenizer.eosId() >= 0) {
                ends.add(tokenizer.eosId());
            }
            constraint = new Constraint(settings.grammar(), TokenBytes.of(tokenizer), ends);
        }
        if (settings.promptLogprobs() >= 0) {
            promptLogprobs = new ArrayList<>();
            promptLogprobs.add(null);
        }
    }

    /** Releases the KV cache. */
    void release() {
        session = null;
        sampler = null;
    }

    DecoderModel.Session session() {
        return session;
    }

    boolean prefilling() {
        return fed < prompt.length;
    }

    /** Whether the prompt's every position needs its logits ({@code echo} with {@code logprobs}). */
    boolean scoresPrompt() {
        return promptLogprobs != null;
    }

    /** The next {@code at most} prompt tokens to feed, marked as fed. */
    int[] takePrompt(int atMost) {
        int to = Math.min(prompt.length, fed + atMost);
        int[] chunk = Arrays.copyOfRange(prompt, fed, to);
        fed = to;
        return chunk;
    }

    /** The token to feed in a decode step. */
    int[] decodeInput() {
        return new int[] {pending};
    }

    /**
     * The logits of every position of the prompt chunk just fed (row-major, {@code rows × vocab}):
     * scores each prompt token by the row before it.
     */
    void acceptPromptRows(float[] rows, int count, int vocab) {
        int firstIndex = fed - count;
        for (int r = 0; r < count; r++) {
            int index = firstIndex + r;
            if (index > 0 && lastPromptRow != null) {
                promptLogprobs.add(Sampler.logProbs(lastPromptRow, prompt[index], settings.promptLogprobs()));
            }
            lastPromptRow = Arrays.copyOfRange(rows, r * vocab, (r + 1) * vocab);
        }
        if (!prefilling()) {
            listener.promptLogprobs(promptLogprobs);
            acceptLogits(lastPromptRow);
        }
    }

    /** The logits after the last token fed: samples the next token once the prompt is in. */
    void acceptLogits(float[] logits) {
        if (prefilling() || done) {
            return;
        }
        if (settings.maxTokens() == 0) {
            finish(FinishReason.LENGTH);
            return;
        }
        settings.applyLogitBias(logits);
        if (constraint != null) {
            if (constraint.finished()) {
                finish(FinishReason.STOP);
                return;
            }
            constraint.mask(logits, settings.maxTokens() - generated);
        }
        int token = sampler.sample(logits);
        if (firstTokenNanos == 0) {
            firstTokenNanos = System.nanoTime();
        }
        if ((token == tokenizer.eosId() && !settings.ignoreEos()) || stopTokens.contains(token)) {
            finish(FinishReason.STOP);
            return;
        }
        TokenLogProbs lp = settings.logprobs() >= 0 ? sampler.logProbs(token, settings.logprobs()) : null;
        sampler.accept(token);
        if (constraint != null) {
            constraint.accept(token);
        }
        generated++;
        listener.token(token, stops.push(decoder.push(token)), lp);
        if (stops.stopped() || (constraint != null && constraint.finished())) {
            finish(FinishReason.STOP);
        } else if (generated == settings.maxTokens() || session.position() == capacity) {
            finish(FinishReason.LENGTH);
        } else {
            pending = token;
        }
    }

    private void finish(FinishReason reason) {
        String tail = "";
        if (!stops.stopped()) {
            tail = stops.push(decoder.flush());
            if (stops.stopped()) {
                reason = FinishReason.STOP;
            } else {
                tail += stops.flush();
            }
        }
        done = true;
        listener.finished(reason, tail);
    }

    void fail(ApiException error) {
        done = true;
        listener.failed(error);
    }
}
