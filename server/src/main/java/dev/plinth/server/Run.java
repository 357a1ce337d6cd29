package dev.plinth.server;

import dev.plinth.model.FinishReason;
import dev.plinth.model.TokenLogProbs;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The sequences of one request (its choices) and the events they report, handed from the
 * scheduler's thread to the request's own thread, which writes them to the client. Closing the run
 * cancels whatever still runs: a client that went away frees its KV cache at the next step.
 */
final class Run implements AutoCloseable {

    sealed interface Event {
        int choice();
    }

    record PromptScored(int choice, List<TokenLogProbs> logprobs) implements Event {
    }

    record Token(int choice, int token, String text, TokenLogProbs logprobs) implements Event {
    }

    record Finished(int choice, FinishReason reason, String tail) implements Event {
    }

    record Failed(int choice, ApiException error) implements Event {
    }

    private final Scheduler scheduler;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final List<Sequence> sequences = new ArrayList<>();
    private int unfinished;

    Run(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** A listener that reports as choice {@code index}. */
    SequenceListener listener(int index) {
        return new SequenceListener() {
            @Override
            public void promptLogprobs(List<TokenLogProbs> logprobs) {
                events.add(new PromptScored(index, logprobs));
            }

            @Override
            public void token(int token, String text, TokenLogProbs logprobs) {
                events.add(new Token(index, token, text, logprobs));
            }

            @Override
            public void finished(FinishReason reason, String tail) {
                events.add(new Finished(index, reason, tail));
            }

            @Override
            public void failed(ApiException error) {
                events.add(new Failed(index, error));
            }
        };
    }

    void add(Sequence s) {
        sequences.add(s);
        unfinished++;
    }

    List<Sequence> sequences() {
        return sequences;
    }

    /** Queues every sequence (all or none: see {@link Scheduler#submit}). */
    void start() {
        scheduler.submit(sequences);
    }

    /** Whether events are still to come. */
    boolean running() {
        return unfinished > 0 || !events.isEmpty();
    }

    /** The next event, or null after {@code millis} without one. */
    Event next(long millis) throws InterruptedException {
        Event e = events.poll(millis, TimeUnit.MILLISECONDS);
        if (e instanceof Finished || e instanceof Failed) {
            unfinished--;
        }
        return e;
    }

    int generatedTokens() {
        return sequences.stream().mapToInt(Sequence::generatedTokens).sum();
    }

    @Override
    public void close() {
        boolean any = false;
        for (Sequence s : sequences) {
            if (!s.done()) {
                s.cancel();
                any = true;
            }
        }
        if (any) {
            scheduler.nudge();
        }
    }
}
