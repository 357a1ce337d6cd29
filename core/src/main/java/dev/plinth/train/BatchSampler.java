package dev.plinth.train;

/**
 * Draws training windows uniformly at random (with replacement) from the train shards. Its whole
 * state is one long (a SplitMix64 counter), so a checkpoint that stores {@link #state()} resumes
 * the exact batch sequence.
 */
final class BatchSampler {
    private final TokenWindows windows;
    private long state;

    BatchSampler(TokenWindows windows, long state) {
        if (windows.count() == 0) {
            throw new IllegalArgumentException("the training shards hold no window of " + windows.length()
                    + " tokens; use a shorter context or a bigger corpus");
        }
        this.windows = windows;
        this.state = state;
    }

    /** The state to start from for a seed (the seed mixed once so that nearby seeds diverge). */
    static long initialState(long seed) {
        return mix(seed ^ 0x5DEECE66DL);
    }

    long state() {
        return state;
    }

    /** {@code n} windows of {@code context + 1} ids: inputs are ids [0, context), targets [1, context]. */
    int[][] next(int n) {
        int[][] batch = new int[n][];
        for (int i = 0; i < n; i++) {
            batch[i] = windows.window(Math.unsignedMultiplyHigh(nextLong(), windows.count()));
        }
        return batch;
    }

    private long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        return mix(state);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** This sampler as the training loop's batch source: {@code batch} windows of {@code context + 1} ids per batch. */
    Trainer.BatchSource source(int batch, int context) {
        return new Trainer.BatchSource() {
            @Override
            public Trainer.Batch next() {
                Trainer.Batch b = batch(BatchSampler.this.next(batch), context);
                // the state after the draw seeds the batch's dropout: another per batch, the same on resume
                return new Trainer.Batch(b.inputs(), b.targets(), b.tokens(), BatchSampler.this.state());
            }

            @Override
            public long state() {
                return BatchSampler.this.state();
            }
        };
    }

    /**
     * {@code batches} batches of {@code batch} windows spread evenly over {@code windows} (the same
     * every time, for validation); none when there is no window.
     */
    static java.util.List<Trainer.Batch> spread(TokenWindows windows, int batches, int batch, int context) {
        long count = windows.count();
        java.util.List<Trainer.Batch> out = new java.util.ArrayList<>();
        if (count == 0) {
            return out;
        }
        int n = batches * batch;
        for (int b = 0; b < batches; b++) {
            int[][] w = new int[batch][];
            for (int i = 0; i < w.length; i++) {
                long k = (long) b * batch + i;
                w[i] = windows.window(Math.multiplyExact(k, count) / n);
            }
            out.add(batch(w, context));
        }
        return out;
    }

    private static Trainer.Batch batch(int[][] windows, int context) {
        return new Trainer.Batch(inputs(windows), targets(windows), (long) windows.length * context, 0);
    }

    /** Inputs of windows (all ids but the last). */
    static int[][] inputs(int[][] windows) {
        int[][] in = new int[windows.length][];
        for (int i = 0; i < windows.length; i++) {
            in[i] = java.util.Arrays.copyOf(windows[i], windows[i].length - 1);
        }
        return in;
    }

    /** Targets of windows (all ids but the first). */
    static int[][] targets(int[][] windows) {
        int[][] t = new int[windows.length][];
        for (int i = 0; i < windows.length; i++) {
            t[i] = java.util.Arrays.copyOfRange(windows[i], 1, windows[i].length);
        }
        return t;
    }
}
