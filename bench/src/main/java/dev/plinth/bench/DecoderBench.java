package dev.plinth.bench;

import dev.plinth.model.DecoderModel;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.tensor.DType;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Decode and prefill throughput of {@link DecoderModel} on a random-weight model shaped like
 * SmolLM2-135M ({@link RandomModels.Preset#SMOLLM2_135M}: hidden 576, 30 layers, 9 heads, 3 KV
 * heads, FFN 1536, vocab 49152, tied embedding), every matrix in Q8_0 (or {@code -Dbench.type}),
 * memory-mapped from a temporary file. Random weights cost the same as real ones.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/plinth-bench.jar dev.plinth.bench.DecoderBench \
 *     [-Dbench.type=Q8_0] [-Dbench.prefill=128] [-Dbench.decode=64] [-Dbench.rounds=3] [-Dplinth.threads=1]
 * </pre>
 *
 * <p>With {@code -Dplinth.threads=1} the "caller CPU" rate counts only this thread's CPU time, so
 * it holds steady on a shared machine where wall-clock rates swing by 2x.
 */
public final class DecoderBench {
    private static final int VOCAB = RandomModels.Preset.SMOLLM2_135M.config().vocabSize();

    private DecoderBench() {
    }

    public static void main(String[] args) throws Exception {
        DType type = DType.valueOf(System.getProperty("bench.type", "Q8_0"));
        int prefill = Integer.getInteger("bench.prefill", 128);
        int decode = Integer.getInteger("bench.decode", 64);
        int rounds = Integer.getInteger("bench.rounds", 3);
        long t0 = System.nanoTime();
        DecoderModel model = DecoderModel.open(smolLm2Shaped(type));
        System.out.printf(Locale.ROOT, "model built in %.1f s (%s, %d threads)%n", (System.nanoTime() - t0) / 1e9, type,
                dev.plinth.tensor.Parallel.threads());
        int[] prompt = new SplittableRandom(1).ints(prefill, 0, VOCAB).toArray();
        for (int r = 0; r <= rounds; r++) {
            DecoderModel.Session s = model.newSession(prefill + decode + 1);
            float[] logits = new float[VOCAB];
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long a = System.nanoTime();
            model.forward(s, prompt, logits);
            long b = System.nanoTime();
            long cpu0 = mx.getCurrentThreadCpuTime();
            int[] step = new int[1];
            for (int i = 0; i < decode; i++) {
                step[0] = DecoderModel.argmax(logits);
                model.forward(s, step, logits);
            }
            long c = System.nanoTime();
            long cpu = mx.getCurrentThreadCpuTime() - cpu0;
            // With -Dplinth.threads=1 the caller's CPU time is the whole decode's, immune to a busy machine.
            System.out.printf(Locale.ROOT,
                    "%s prefill %d tokens: %.1f tok/s | decode %d tokens: %.1f tok/s (caller CPU %.1f tok/s)%n",
                    r == 0 ? "warm-up" : "round " + r, prefill, prefill / ((b - a) / 1e9), decode,
                    decode / ((c - b) / 1e9), decode / (cpu / 1e9));
        }
    }

    /** The model as a temporary GGUF file (deleted when the JVM exits), every matrix in {@code type}. */
    static Path smolLm2Shaped(DType type) throws IOException {
        Path file = Files.createTempFile("plinth-decoder-bench-", ".gguf");
        file.toFile().deleteOnExit();
        RandomModels.builder(RandomModels.Preset.SMOLLM2_135M).matrixType(type).seed(42).writeGguf(file);
        return file;
    }
}
