package dev.plinth.bench;

import java.util.Arrays;

/**
 * A quick same-process comparison of Plinth's matvec with llama.cpp's vec_dot (the
 * {@link LlamaCppCompareBench} setups), robust to a busy machine: after a warm-up it alternates
 * the two implementations call by call and reports the minimum and 10th-percentile times.
 *
 * <pre>
 * java -Xbatch --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:UseAVX=2 \
 *      -Dplinth.threads=1 -cp bench/target/plinth-bench.jar dev.plinth.bench.LlamaCppCompare Q8_0 Q4_0 Q4_K
 * </pre>
 */
public final class LlamaCppCompare {
    private LlamaCppCompare() {
    }

    public static void main(String[] types) throws Throwable {
        String shape = System.getProperty("shape", "2048x2048");
        String[] impls = {"plinth", "llama.cpp"};
        for (String type : types) {
            LlamaCppCompareBench[] b = new LlamaCppCompareBench[2];
            for (int i = 0; i < 2; i++) {
                b[i] = new LlamaCppCompareBench();
                b[i].type = type;
                b[i].impl = impls[i];
                b[i].shape = shape;
                b[i].setup();
            }
            Rates rates = new Rates();
            for (LlamaCppCompareBench bench : b) {
                long t0 = System.nanoTime();
                while (System.nanoTime() - t0 < 3_000_000_000L) {
                    bench.matvec(rates);
                }
            }
            long[][] times = new long[2][300];
            for (int r = 0; r < 300; r++) {
                for (int i = 0; i < 2; i++) {
                    long t0 = System.nanoTime();
                    b[i].matvec(rates);
                    times[i][r] = System.nanoTime() - t0;
                }
            }
            StringBuilder line = new StringBuilder(type + ":");
            for (int i = 0; i < 2; i++) {
                Arrays.sort(times[i]);
                line.append(String.format("  %s min %.3f ms p10 %.3f ms", impls[i], times[i][0] / 1e6, times[i][30] / 1e6));
            }
            line.append(String.format("  plinth/llama.cpp speed %.2f", (double) times[1][0] / times[0][0]));
            System.out.println(line);
            for (LlamaCppCompareBench bench : b) {
                bench.tearDown();
            }
        }
    }
}
