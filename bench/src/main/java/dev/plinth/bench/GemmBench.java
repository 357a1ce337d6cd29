package dev.plinth.bench;

import dev.plinth.tensor.MatMul;
import dev.plinth.tensor.Parallel;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * GFLOP/s of the F32 GEMM ({@link MatMul#gemm(boolean, boolean, float[], float[], float[], int, int, int, boolean)})
 * at given layouts and shapes, best of three timed rounds after a warm-up. With one thread
 * ({@code -Dplinth.threads=1}) it divides by the thread's CPU time, which other processes on a
 * shared machine do not inflate; with more, by wall time.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/plinth-bench.jar dev.plinth.bench.GemmBench \
 *     [-Dbench.seconds=1.5] [LAYOUT:m:n:k ...]
 * </pre>
 *
 * LAYOUT is NT ({@code A[m,k]·B[n,k]ᵀ}, a linear layer's forward), NN ({@code A[m,k]·B[k,n]}, its
 * input gradient) or TN ({@code A[k,m]ᵀ·B[k,n]}, its weight gradient). Defaults: 2048³ and the
 * products of a hidden-384, FFN-1024, vocabulary-4096 decoder at 2048 tokens.
 */
public final class GemmBench {
    private static final String[] DEFAULT_SHAPES = {
        "NT:2048:2048:2048",
        "NT:2048:384:384", "NN:2048:384:384", "TN:384:384:2048",
        "NT:2048:1024:384", "NN:2048:384:1024", "TN:1024:384:2048",
        "NT:2048:4096:384", "NN:2048:384:4096", "TN:4096:384:2048",
    };

    private GemmBench() {
    }

    public static void main(String[] args) {
        double seconds = Double.parseDouble(System.getProperty("bench.seconds", "1.5"));
        String[] shapes = args.length > 0 ? args : DEFAULT_SHAPES;
        boolean cpuTime = Parallel.threads() == 1;
        System.out.printf(Locale.ROOT, "%d threads, GFLOP/s by %s%n", Parallel.threads(),
                cpuTime ? "thread CPU time" : "wall time");
        for (String shape : shapes) {
            String[] f = shape.split(":");
            if (f.length != 4) {
                throw new IllegalArgumentException("shape " + shape + " is not LAYOUT:m:n:k");
            }
            boolean transA = switch (f[0]) {
                case "NT", "NN" -> false;
                case "TN" -> true;
                default -> throw new IllegalArgumentException("layout " + f[0] + " is not NT, NN or TN");
            };
            boolean transB = f[0].equals("NT");
            int m = Integer.parseInt(f[1]);
            int n = Integer.parseInt(f[2]);
            int k = Integer.parseInt(f[3]);
            float[] a = Weights.gaussian(1, m * k);
            float[] b = Weights.gaussian(2, n * k);
            float[] c = new float[m * n];
            Runnable product = () -> MatMul.gemm(transA, transB, a, b, c, m, n, k, false);
            double best = 0;
            long warm = System.nanoTime();
            while (System.nanoTime() - warm < 500_000_000L) {
                product.run();
            }
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            for (int round = 0; round < 3; round++) {
                long wall = System.nanoTime();
                long cpu = mx.getCurrentThreadCpuTime();
                int runs = 0;
                while (System.nanoTime() - wall < seconds / 3 * 1e9) {
                    product.run();
                    runs++;
                }
                double sec = cpuTime ? (mx.getCurrentThreadCpuTime() - cpu) / 1e9 : (System.nanoTime() - wall) / 1e9;
                best = Math.max(best, 2.0 * m * n * k * runs / sec / 1e9);
            }
            System.out.printf(Locale.ROOT, "%s %dx%dx%d: %.1f GFLOP/s%n", f[0], m, n, k, best);
        }
    }
}
