package dev.plinth.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The shared compute pool: a fixed set of daemon worker threads, sized to the available
 * processors (override with the system property {@code plinth.threads}).
 *
 * <p>{@link #parallelFor} splits {@code [0, n)} into contiguous chunks; the calling thread takes
 * chunks too. Decode calls it hundreds of times per token, so a call costs a few atomic operations
 * and an unpark per worker, with no task objects: workers spin briefly for the next call before
 * parking. A call made from inside a running body (nested), or while another thread's call holds
 * the pool, runs on the calling thread alone, which is always correct.
 */
public final class Parallel {

    /** The body of a parallel loop: process indices {@code [start, end)}. */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    private static final int THREADS = configuredThreads();
    private static final int SPIN_BEFORE_PARK = 10_000;

    private static final ReentrantLock LOCK = new ReentrantLock();
    private static final Worker[] WORKERS = startWorkers(THREADS - 1);
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> Boolean.FALSE);

    /** The current job, or null; a fresh object per call so late workers never touch a newer one. */
    private static volatile Job current;
    private static volatile long epoch;

    private Parallel() {
    }

    /** Threads that take part in a {@link #parallelFor}, the caller included. */
    public static int threads() {
        return THREADS;
    }

    /** Runs {@code body} over {@code [0, n)} in contiguous chunks, on all threads of the pool. */
    public static void parallelFor(int n, Range body) {
        parallelFor(n, 1, body);
    }

    /**
     * Like {@link #parallelFor(int, Range)}, with chunks no smaller than {@code grain} indices
     * (for loops whose iterations are too cheap to be worth splitting finely).
     */
    public static void parallelFor(int n, int grain, Range body) {
        if (n <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        if (THREADS == 1 || n < 2 * g || INSIDE.get() || !LOCK.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            runShared(n, g, body);
        } finally {
            LOCK.unlock();
        }
    }

    private static void runShared(int n, int grain, Range body) {
        // A few chunks per thread balance uneven progress without much contention.
        int chunks = Math.min(THREADS * 4, Math.max(1, n / grain));
        int size = (n + chunks - 1) / chunks;
        Job job = new Job(body, n, size, (n + size - 1) / size);
        current = job;
        epoch = epoch + 1;
        for (Worker w : WORKERS) {
            if (w.parked) {
                LockSupport.unpark(w);
            }
        }
        INSIDE.set(Boolean.TRUE);
        try {
            job.takeChunks();
        } finally {
            INSIDE.set(Boolean.FALSE);
        }
        int spins = 0;
        while (job.pending.get() > 0) {
            if (++spins > 1000) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
        current = null;
        Throwable t = job.failure;
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
    }

    private static final class Job {
        final Range body;
        final int n;
        final int size;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger pending;
        volatile Throwable failure;

        Job(Range body, int n, int size, int chunks) {
            this.body = body;
            this.n = n;
            this.size = size;
            this.chunks = chunks;
            this.pending = new AtomicInteger(chunks);
        }

        void takeChunks() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                int start = c * size;
                try {
                    if (failure == null) {
                        body.run(start, Math.min(n, start + size));
                    }
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    pending.decrementAndGet();
                }
            }
        }
    }

    private static int configuredThreads() {
        String p = System.getProperty("plinth.threads");
        int n = Runtime.getRuntime().availableProcessors();
        if (p != null && !p.isBlank()) {
            try {
                n = Integer.parseInt(p.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("system property plinth.threads is not a number: " + p, e);
            }
        }
        return Math.max(1, Math.min(n, 1024));
    }

    private static Worker[] startWorkers(int count) {
        Worker[] ws = new Worker[count];
        for (int i = 0; i < count; i++) {
            ws[i] = new Worker(i);
            ws[i].start();
        }
        return ws;
    }

    private static final class Worker extends Thread {
        volatile boolean parked;

        Worker(int index) {
            super("plinth-compute-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            INSIDE.set(Boolean.TRUE);
            long seen = 0;
            while (true) {
                int spins = 0;
                while (epoch == seen) {
                    if (++spins < SPIN_BEFORE_PARK) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        if (epoch == seen) {
                            LockSupport.park(this);
                        }
                        parked = false;
                    }
                }
                seen = epoch;
                Job job = current;
                if (job != null) {
                    job.takeChunks();
                }
            }
        }
    }
}
