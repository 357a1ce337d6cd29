package dev.plinth.server;

import dev.plinth.model.DecoderModel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Continuous batching for one base: a thread that forms one batch per step from every running
 * sequence of every product on the base (each applying its own adapters), feeds it with {@link
 * DecoderModel#forwardBatch} and hands each sequence its logits. Between steps, queued sequences
 * join while the KV-cache budget and the batch size allow, and cancelled ones leave (their KV
 * cache freed at once). Prompts are fed in chunks of at most {@link #PREFILL_CHUNK} tokens, and at
 * most {@link #PREFILL_PER_STEP} prompt tokens join a step, so running streams keep flowing while a
 * long prompt is read.
 */
final class Scheduler implements AutoCloseable {

    static final int PREFILL_CHUNK = 64;
    static final int PREFILL_PER_STEP = 128;

    private static final Logger LOG = Logger.getLogger(Scheduler.class.getName());

    private final DecoderModel model;
    private final String name;
    private final int maxBatch;
    private final int maxQueue;
    private final long kvBudget;
    private final Metrics metrics;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Deque<Sequence> queue = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    private final AtomicLong kvInUse = new AtomicLong();
    private volatile int runningCount;
    private volatile boolean open = true;
    private final Thread thread;

    Scheduler(DecoderModel model, String name, int maxBatch, int maxQueue, long kvBudget, Metrics metrics) {
        this.model = model;
        this.name = name;
        this.maxBatch = maxBatch;
        this.maxQueue = maxQueue;
        this.kvBudget = kvBudget;
        this.metrics = metrics;
        metrics.registerScheduler(this);
        thread = Thread.ofPlatform().name("plinth-scheduler-" + name).daemon().start(this::loop);
    }

    String name() {
        return name;
    }

    long kvBudget() {
        return kvBudget;
    }

    /** Bytes of KV cache the running sequences hold. */
    long kvBytesInUse() {
        return kvInUse.get();
    }

    int runningCount() {
        return runningCount;
    }

    int queuedCount() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues a request's sequences, all or none.
     *
     * @throws ApiException 429 when the queue is full, 503 when the scheduler is closed, 400 when a
     *                      sequence alone needs more KV cache than the whole budget
     */
    void submit(List<Sequence> sequences) {
        for (Sequence s : sequences) {
            if (s.kvBytes() > kvBudget) {
                throw ApiException.invalid(null, "A sequence of this request needs " + s.kvBytes() + " bytes of KV cache, "
                        + "more than the server's budget of " + kvBudget + " bytes; ask for fewer tokens (max_tokens) or "
                        + "send a shorter prompt.");
            }
        }
        lock.lock();
        try {
            if (!open) {
                throw ApiException.unavailable("The server is shutting down.");
            }
            if (queue.size() + sequences.size() > maxQueue) {
                throw ApiException.busy("The server is busy: " + queue.size() + " sequences wait already. Retry shortly.");
            }
            queue.addAll(sequences);
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the scheduler so that it drops cancelled sequences now rather than at its next step. */
    void nudge() {
        lock.lock();
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (open) {
            try {
                if (!admitOrWait()) {
                    continue;
                }
                step();
            } catch (RuntimeException | Error e) {
                LOG.log(Level.SEVERE, "scheduler " + name + " failed a step; its sequences end with an error", e);
                failRunning(ApiException.unavailable("The model failed: " + e));
            }
        }
        failRunning(ApiException.unavailable("The server is shutting down."));
        lock.lock();
        try {
            queue.forEach(s -> s.fail(ApiException.unavailable("The server is shutting down.")));
            queue.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Moves queued sequences in while they fit; waits while there is nothing to run. Returns whether to step. */
    private boolean admitOrWait() {
        dropFinished();
        lock.lock();
        try {
            queue.removeIf(Sequence::cancelled);
            while (!queue.isEmpty() && running.size() < maxBatch
                    && kvInUse.get() + queue.peekFirst().kvBytes() <= kvBudget) {
                Sequence s = queue.pollFirst();
                try {
                    s.start(model);
                } catch (RuntimeException e) {
                    s.fail(ApiException.unavailable("The sequence could not start: " + e.getMessage()));
                    continue;
                }
                kvInUse.addAndGet(s.kvBytes());
                running.add(s);
            }
            runningCount = running.size();
            if (running.isEmpty()) {
                wake.await(1, TimeUnit.SECONDS);
                return false;
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    private void step() {
        running.sort(Comparator.comparing(Sequence::group));
        List<Sequence> batch = new ArrayList<>(running.size());
        List<int[]> inputs = new ArrayList<>(running.size());
        int prefillLeft = PREFILL_PER_STEP;
        for (Sequence s : running) {
            if (!s.prefilling()) {
                batch.add(s);
                inputs.add(s.decodeInput());
            } else if (prefillLeft > 0) {
                int[] chunk = s.takePrompt(Math.min(PREFILL_CHUNK, prefillLeft));
                prefillLeft -= chunk.length;
                if (s.scoresPrompt()) {
                    scorePrompt(s, chunk);
                } else {
                    batch.add(s);
                    inputs.add(chunk);
                }
            }
        }
        if (!batch.isEmpty()) {
            DecoderModel.Session[] sessions = new DecoderModel.Session[batch.size()];
            for (int i = 0; i < sessions.length; i++) {
                sessions[i] = batch.get(i).session();
            }
            float[][] logits = model.forwardBatch(sessions, inputs.toArray(int[][]::new));
            metrics.batch(batch.size());
            for (int i = 0; i < logits.length; i++) {
                Sequence s = batch.get(i);
                boolean first = s.firstTokenNanos() == 0;
                s.acceptLogits(logits[i]);
                countTokens(s, first);
            }
        }
    }

    /** {@code echo} with {@code logprobs}: the chunk's every position scored, outside the batch. */
    private void scorePrompt(Sequence s, int[] chunk) {
        float[] rows = model.forwardAll(s.session(), chunk);
        boolean first = s.firstTokenNanos() == 0;
        s.acceptPromptRows(rows, chunk.length, model.vocabSize());
        countTokens(s, first);
    }

    private void countTokens(Sequence s, boolean wasBeforeFirstToken) {
        if (wasBeforeFirstToken && s.firstTokenNanos() != 0) {
            metrics.firstToken(s.firstTokenNanos() - s.createdNanos());
        }
    }

    private void dropFinished() {
        running.removeIf(s -> {
            if (s.done() || s.cancelled()) {
                kvInUse.addAndGet(-s.kvBytes());
                s.release();
                return true;
            }
            return false;
        });
        runningCount = running.size();
    }

    private void failRunning(ApiException error) {
        for (Sequence s : running) {
            if (!s.done()) {
                s.fail(error);
            }
        }
        dropFinished();
    }

    @Override
    public void close() {
        lock.lock();
        try {
            open = false;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
