package dev.plinth.train.data;

import dev.plinth.train.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Training batches of examples, epoch after epoch, each epoch in its own seeded order; a batch's
 * sequences are right-padded to its longest (padding takes no loss, and causal attention keeps it
 * from changing the tokens before it). The whole state is the count of examples served, so a
 * checkpoint resumes the exact batch sequence.
 */
public final class ExampleBatches implements Trainer.BatchSource {
    private final List<Example> examples;
    private final int batch;
    private final long seed;
    private final int pad;
    private long served;
    private long epoch = -1;
    private int[] order;

    /** Batches of {@code batch} examples, shuffled by {@code seed}, from {@code served} examples on; {@code pad} fills. */
    public ExampleBatches(List<Example> examples, int batch, long seed, int pad, long served) {
        if (examples.isEmpty() || batch < 1 || served < 0) {
            throw new IllegalArgumentException("need examples, a positive batch and a count served >= 0");
        }
        this.examples = List.copyOf(examples);
        this.batch = batch;
        this.seed = seed;
        this.pad = pad;
        this.served = served;
    }

    @Override
    public Trainer.Batch next() {
        long noise = mix(seed ^ mix(served));
        List<Example> picked = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++, served++) {
            long e = served / examples.size();
            if (e != epoch) {
                order = permutation(examples.size(), mix(seed + e));
                epoch = e;
            }
            picked.add(examples.get(order[(int) (served % examples.size())]));
        }
        return padded(picked, pad, noise);
    }

    @Override
    public long state() {
        return served;
    }

    /** The examples as fixed validation batches of {@code batch} (the last may be smaller), at most {@code max}. */
    public static List<Trainer.Batch> fixed(List<Example> examples, int batch, int max, int pad) {
        List<Trainer.Batch> batches = new ArrayList<>();
        for (int from = 0; from < examples.size() && batches.size() < max; from += batch) {
            batches.add(padded(examples.subList(from, Math.min(examples.size(), from + batch)), pad, 0));
        }
        return batches;
    }

    /** Examples right-padded with {@code pad} (inputs) and {@link Trainer#IGNORE} (targets) to the longest. */
    public static Trainer.Batch padded(List<Example> examples, int pad, long noise) {
        int length = examples.stream().mapToInt(e -> e.inputs().length).max().orElseThrow();
        int[][] inputs = new int[examples.size()][];
        int[][] targets = new int[examples.size()][];
        long tokens = 0;
        for (int b = 0; b < examples.size(); b++) {
            Example e = examples.get(b);
            inputs[b] = Arrays.copyOf(e.inputs(), length);
            targets[b] = Arrays.copyOf(e.targets(), length);
            Arrays.fill(inputs[b], e.inputs().length, length, pad);
            Arrays.fill(targets[b], e.targets().length, length, Trainer.IGNORE);
            tokens += e.inputs().length;
        }
        return new Trainer.Batch(inputs, targets, tokens, noise);
    }

    /** 0..n-1 in the order of a Fisher-Yates shuffle seeded with {@code seed}. */
    static int[] permutation(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
