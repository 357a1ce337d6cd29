package dev.plinth.bench;

import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.convert.QuantType;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.tensor.Parallel;
import dev.plinth.tensor.autograd.Tape;
import dev.plinth.tensor.autograd.Variable;
import dev.plinth.train.AdamW;
import dev.plinth.train.Gradients;
import dev.plinth.train.LoraSettings;
import dev.plinth.train.MemoryReport;
import dev.plinth.train.TrainableDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Training throughput of {@link TrainableDecoder}: forward, backward, clipping and an AdamW step
 * on random batches of a random-weight llama (tied embedding). Defaults: a ≈10M-parameter decoder
 * (hidden 384, 6 layers, 6 heads, 2 KV heads, FFN 1024, vocab 4096) at 8 × 256 tokens, every weight
 * trained; with {@code -Dbench.lora=R} LoRA pairs of rank R (alpha 2R, on every block projection,
 * PEFT's init) train on the frozen base instead, which {@code -Dbench.type} may quantize (F32 by
 * default; any {@code plinth quantize} type, e.g. Q4_K_M for QLoRA).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/plinth-bench.jar dev.plinth.bench.TrainStepBench \
 *     [-Dbench.hidden=384] [-Dbench.layers=6] [-Dbench.heads=6] [-Dbench.kvHeads=2] [-Dbench.ffn=1024] \
 *     [-Dbench.vocab=4096] [-Dbench.batch=8] [-Dbench.seq=256] [-Dbench.steps=3] [-Dbench.warmup=1] \
 *     [-Dbench.lora=16] [-Dbench.type=Q4_K_M] [-Dbench.file=model.gguf] [-Dbench.recompute=true]
 * </pre>
 *
 * {@code -Dbench.file} trains on a given GGUF (its shape; e.g. one of {@code plinth dev random-model});
 * {@code -Dbench.recompute} recomputes each layer in backward (activation checkpointing).
 *
 * After the steps it prints a summary line {@code timed: N steps, T tokens/s, G GFLOP/s} (warm-up
 * steps excluded) and {@code peak RSS: K KiB} (the process's VmHWM), which
 * bench/pytorch-train-compare.sh reads.
 *
 * FLOP/s counts 6 per weight per token for every matrix product (the output projection included)
 * plus the causal attention products (6·layers·batch·seq²·qDim, half of a full square): the usual
 * estimate, not a measured instruction count. With LoRA a frozen weight costs 4 per token (its
 * forward product and the activations' gradient, no weight gradient) and each pair's weights 6.
 */
public final class TrainStepBench {
    private TrainStepBench() {
    }

    public static void main(String[] args) throws IOException {
        int hidden = Integer.getInteger("bench.hidden", 384);
        int layers = Integer.getInteger("bench.layers", 6);
        int heads = Integer.getInteger("bench.heads", 6);
        int kvHeads = Integer.getInteger("bench.kvHeads", 2);
        int ffn = Integer.getInteger("bench.ffn", 1024);
        int vocab = Integer.getInteger("bench.vocab", 4096);
        int batch = Integer.getInteger("bench.batch", 8);
        int seq = Integer.getInteger("bench.seq", 256);
        int steps = Integer.getInteger("bench.steps", 3);
        int warmup = Integer.getInteger("bench.warmup", 1);
        int rank = Integer.getInteger("bench.lora", 0);
        QuantType type = QuantType.parse(System.getProperty("bench.type", "f32"));
        String given = System.getProperty("bench.file");
        Path path = given != null ? Path.of(given) : randomLlama(hidden, layers, heads, kvHeads, ffn, vocab, type);
        try (ModelFile file = ModelFiles.open(path)) {
            TrainableDecoder model = rank > 0 ? TrainableDecoder.frozen(file) : TrainableDecoder.of(file);
            if (rank > 0) {
                model.addLora(new LoraSettings(rank, 2.0 * rank, 0, LoraSettings.ALL, false), 1);
            }
            run(model, rank, model.config().vocabSize(), seq, batch, steps, warmup, given != null ? path.getFileName() : type);
        }
    }

    private static void run(TrainableDecoder model, int rank, int vocab, int seq, int batch, int steps, int warmup,
                            Object base) {
        DecoderConfig c = model.config();
        int hidden = c.hiddenSize();
        int layers = c.layers();
        Collection<Variable> params = model.trainable().values();
        long count = params.stream().mapToLong(Variable::size).sum();
        double matrixWeights = (double) layers * (2.0 * hidden * c.qDim() + 2.0 * c.kvDim() * hidden
                + 3.0 * hidden * c.ffnSize()) + (double) vocab * hidden;
        long tokens = (long) batch * seq;
        double perWeight = rank > 0 ? 4 : 6;
        double flops = (perWeight * matrixWeights + (rank > 0 ? 6.0 * count : 0)) * tokens
                + 6.0 * layers * batch * (double) seq * seq * hidden;
        System.out.printf(Locale.ROOT, "%,d parameters, %d x %d tokens per step, %d threads%s%n", count, batch, seq,
                Parallel.threads(), rank > 0 ? String.format(Locale.ROOT, ", LoRA r=%d on a frozen %s base", rank, base)
                        : "");
        AdamW opt = new AdamW(params, AdamW.Settings.defaults(), AdamW.decayMatrices(true));
        SplittableRandom rnd = new SplittableRandom(7);
        long timedNanos = 0;
        for (int s = 1 - warmup; s <= steps; s++) {
            int[][] in = new int[batch][];
            int[][] target = new int[batch][];
            for (int b = 0; b < batch; b++) {
                in[b] = rnd.ints(seq, 0, vocab).toArray();
                target[b] = rnd.ints(seq, 0, vocab).toArray();
            }
            long a = System.nanoTime();
            Gradients.zero(params);
            Tape tape = new Tape();
            Variable loss = model.loss(tape, in, target, -100, Boolean.getBoolean("bench.recompute"));
            long f = System.nanoTime();
            tape.backward(loss);
            long bw = System.nanoTime();
            Gradients.clipGlobalNorm(params, 1.0);
            opt.step(1e-3);
            long e = System.nanoTime();
            double sec = (e - a) / 1e9;
            if (s > 0) {
                timedNanos += e - a;
            }
            System.out.printf(Locale.ROOT,
                    "%s: loss %.4f | forward %.0f ms, backward %.0f ms, clip+AdamW %.0f ms | %.0f tokens/s, %.1f GFLOP/s%n",
                    s <= 0 ? "warm-up" : "step " + s, loss.data()[0], (f - a) / 1e6, (bw - f) / 1e6, (e - bw) / 1e6,
                    tokens / sec, flops / sec / 1e9);
        }
        double timed = timedNanos / 1e9;
        System.out.printf(Locale.ROOT, "timed: %d steps, %.1f tokens/s, %.1f GFLOP/s%n", steps, steps * tokens / timed,
                steps * flops / timed / 1e9);
        long peak = MemoryReport.peakRssBytes();
        System.out.println("peak RSS: " + (peak < 0 ? -1 : peak / 1024) + " KiB");
    }

    /**
     * A random llama (tied embedding, weights N(0, 0.02²)) as a temporary GGUF file of {@code type},
     * deleted when the JVM exits.
     */
    static Path randomLlama(int hidden, int layers, int heads, int kvHeads, int ffn, int vocab, QuantType type)
            throws IOException {
        DecoderConfig config = DecoderConfig.builder("llama").hiddenSize(hidden).layers(layers).heads(heads)
                .kvHeads(kvHeads).ffnSize(ffn).vocabSize(vocab).contextLength(4096).build();
        Path file = Files.createTempFile("plinth-train-bench-", ".gguf");
        file.toFile().deleteOnExit();
        RandomModels.builder(config).tiedEmbeddings(true).noVocabulary().seed(42).type(type).writeGguf(file);
        return file;
    }
}
