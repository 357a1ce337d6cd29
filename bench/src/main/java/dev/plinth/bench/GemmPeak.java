package dev.plinth.bench;

import dev.plinth.tensor.MatMul;
import dev.plinth.tensor.Parallel;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * GFLOP/s of Plinth's F32 training product {@link MatMul#gemm} on an n³ problem (default 2048), the
 * best of several timed repetitions after warm-up, with all of {@link Parallel}'s threads: the
 * figure bench/pytorch-train-compare.sh sets beside torch.matmul's.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/plinth-bench.jar dev.plinth.bench.GemmPeak [n] [reps]
 * </pre>
 */
public final class GemmPeak {
    private GemmPeak() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2048;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        SplittableRandom rnd = new SplittableRandom(1);
        float[] a = new float[n * n];
        float[] b = new float[n * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
            b[i] = (float) rnd.nextGaussian();
        }
        float[] c = new float[n * n];
        double flops = 2.0 * n * n * n;
        double best = 0;
        for (int r = -2; r < reps; r++) {
            long t0 = System.nanoTime();
            MatMul.gemm(a, b, c, n, n, n);
            double rate = flops / ((System.nanoTime() - t0) / 1e9) / 1e9;
            if (r >= 0) {
                best = Math.max(best, rate);
            }
        }
        System.out.printf(Locale.ROOT, "gemm %d^3, %d threads: best %.1f GFLOP/s%n", n, Parallel.threads(), best);
    }
}
