package dev.plinth.model;

import dev.plinth.model.json.Constraint;
import dev.plinth.model.json.JsonGrammar;
import dev.plinth.model.json.TokenBytes;
import dev.plinth.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Generates text after a prompt: feeds the prompt (prefill), then samples, streams and feeds one
 * token at a time (decode) until a stop token, a stop string, the token budget or the end of the
 * context. Text reaches the callback in pieces that never split a UTF-8 character and never
 * contain (a part of) a stop string that is later completed.
 */
public final class Generator {

    private final Tokenizer tokenizer;

    public Generator(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Generates without streaming. */
    public GenerationResult generate(TokenSequence sequence, int[] prompt, GenerationRequest request) {
        return generate(sequence, prompt, request, piece -> { });
    }

    /**
     * Generates after {@code prompt} in a fresh {@code sequence} (position 0).
     *
     * @param onText receives the text as it is produced; the pieces concatenated equal the result's text
     * @throws ContextOverflowException when the prompt does not fit and truncation was not asked for
     */
    public GenerationResult generate(TokenSequence sequence, int[] prompt, GenerationRequest request,
                                     Consumer<String> onText) {
        return generate(sequence, prompt, request, onText, null);
    }

    /**
     * {@link #generate(TokenSequence, int[], GenerationRequest, Consumer)} whose output is the JSON
     * {@code json} allows (null: any text): before each token the tokens the grammar cannot take
     * are masked, and generation stops once the JSON is complete. The JSON always completes within
     * {@code maxTokens} when the vocabulary has single-byte tokens and the budget covers the
     * grammar's {@link JsonGrammar.Alternatives#cost}.
     */
    public GenerationResult generate(TokenSequence sequence, int[] prompt, GenerationRequest request,
                                     Consumer<String> onText, JsonGrammar.Alternatives json) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens; a model needs at least one (e.g. BOS)");
        }
        if (sequence.position() != 0) {
            throw new IllegalArgumentException("the sequence already holds " + sequence.position() + " tokens");
        }
        int capacity = sequence.capacity();
        int[] fed = fit(prompt, capacity, request);
        Sampler sampler = new Sampler(request.sampling(), sequence.vocabSize());
        for (int t : fed) {
            sampler.accept(t);
        }
        TokenStreamDecoder decoder = new TokenStreamDecoder(tokenizer, fed[fed.length - 1]);
        StopMatcher stops = new StopMatcher(request.stopStrings());
        Constraint constraint = json == null ? null : constraint(json, request);
        StringBuilder text = new StringBuilder();
        Consumer<String> emit = piece -> {
            if (!piece.isEmpty()) {
                text.append(piece);
                onText.accept(piece);
            }
        };
        List<TokenLogProbs> logprobs = new ArrayList<>();
        int[] generated = new int[Math.min(request.maxTokens(), 1024)];
        int count = 0;

        long start = System.nanoTime();
        float[] logits = sequence.feed(fed);
        long prefillEnd = System.nanoTime();
        FinishReason finish;
        while (true) {
            if (constraint != null) {
                if (constraint.finished()) {
                    finish = FinishReason.STOP;
                    break;
                }
                // the budget or the context, whichever ends first (this token is written even at a full context)
                constraint.mask(logits, Math.min(request.maxTokens() - count, capacity - sequence.position() + 1));
            }
            int token = sampler.sample(logits);
            if (isStopToken(token, request)) {
                finish = FinishReason.STOP;
                break;
            }
            if (request.logprobs() >= 0) {
                logprobs.add(sampler.logProbs(token, request.logprobs()));
            }
            sampler.accept(token);
            if (constraint != null) {
                constraint.accept(token);
            }
            if (count == generated.length) {
                generated = Arrays.copyOf(generated, Math.min(count * 2, request.maxTokens()));
            }
            generated[count++] = token;
            emit.accept(stops.push(decoder.push(token)));
            if (stops.stopped() || (constraint != null && constraint.finished())) {
                finish = FinishReason.STOP;
                break;
            }
            if (count == request.maxTokens() || sequence.position() == capacity) {
                finish = FinishReason.LENGTH;
                break;
            }
            logits = sequence.feed(new int[] {token});
        }
        if (!stops.stopped()) {
            emit.accept(stops.push(decoder.flush()));
            if (!stops.stopped()) {
                emit.accept(stops.flush());
            } else {
                finish = FinishReason.STOP;
            }
        }
        long end = System.nanoTime();
        return new GenerationResult(text.toString(), Arrays.copyOf(generated, count), finish, fed.length,
                logprobs, prefillEnd - start, end - prefillEnd);
    }

    private Constraint constraint(JsonGrammar.Alternatives json, GenerationRequest request) {
        Set<Integer> ends = new HashSet<>(request.stopTokens());
        if (tokenizer.eosId() >= 0) {
            ends.add(tokenizer.eosId());
        }
        return new Constraint(json, TokenBytes.of(tokenizer), ends);
    }

    private boolean isStopToken(int token, GenerationRequest request) {
        return token == tokenizer.eosId() || request.stopTokens().contains(token);
    }

    /** The prompt as fed: whole, or cut to its BOS and its end when asked and needed. */
    int[] fit(int[] prompt, int capacity, GenerationRequest request) {
        if (prompt.length <= capacity) {
            return prompt;
        }
        if (!request.truncatePrompt()) {
            throw new ContextOverflowException(prompt.length, capacity);
        }
        int room = Math.min(request.maxTokens(), capacity / 2);
        int target = Math.max(capacity - room, 1);
        return truncate(prompt, target, prompt[0] == tokenizer.bosId());
    }

    /** Keeps the first token when it is BOS, plus the last tokens, {@code target} in all. */
    static int[] truncate(int[] prompt, int target, boolean keepFirst) {
        int[] out = new int[target];
        int keepHead = keepFirst && target > 1 ? 1 : 0;
        if (keepHead == 1) {
            out[0] = prompt[0];
        }
        System.arraycopy(prompt, prompt.length - (target - keepHead), out, keepHead, target - keepHead);
        return out;
    }
}
