import java.util.ArrayList;
import java.util.List;

/**
 * A small STREAM-like triad (a[i] = b[i] + s * c[i] over double arrays far larger than the caches),
 * to know what memory bandwidth this machine gives 1 and 2 threads right now. Counts 24 bytes per
 * element (two reads, one write), as STREAM does. Prints "threads GB/s" lines, best of the runs.
 *
 * usage: java bench/Triad.java [MiB per array, default 256] [runs, default 5] [thread counts, default 1 2]
 */
public class Triad {

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        List<Integer> counts = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            counts.add(Integer.parseInt(args[i]));
        }
        if (counts.isEmpty()) {
            counts = List.of(1, 2);
        }
        int n = mib * (1 << 20) / Double.BYTES;
        double[] a = new double[n];
        double[] b = new double[n];
        double[] c = new double[n];
        for (int i = 0; i < n; i++) {
            b[i] = i;
            c[i] = 0.5 * i;
        }
        for (int threads : counts) {
            triad(a, b, c, threads); // warm-up: JIT and page faults
            double best = 0;
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                triad(a, b, c, threads);
                double seconds = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, 24.0 * n / seconds / 1e9);
            }
            System.out.printf("%d %.1f%n", threads, best);
        }
        if (a[n / 3] != b[n / 3] + 3 * c[n / 3]) {
            throw new AssertionError("triad computed a wrong value");
        }
    }

    static void triad(double[] a, double[] b, double[] c, int threads) throws InterruptedException {
        Thread[] workers = new Thread[threads];
        int n = a.length;
        for (int t = 0; t < threads; t++) {
            int from = (int) ((long) n * t / threads);
            int to = (int) ((long) n * (t + 1) / threads);
            workers[t] = Thread.ofPlatform().start(() -> kernel(a, b, c, from, to));
        }
        for (Thread w : workers) {
            w.join();
        }
    }

    static void kernel(double[] a, double[] b, double[] c, int from, int to) {
        for (int i = from; i < to; i++) {
            a[i] = b[i] + 3 * c[i];
        }
    }
}
