package dev.plinth.bench;

import dev.plinth.io.ModelFile;
import dev.plinth.model.DecoderModel;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Decode and prefill throughput of {@link DecoderModel} on a random-weight model shaped like
 * SmolLM2-135M (hidden 576, 30 layers, 9 heads, 3 KV heads, FFN 1536, vocab 49152, tied
 * embedding), weights in Q8_0 (or {@code -Dbench.type}). Random weights cost the same as real ones.
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
    private static final int HIDDEN = 576;
    private static final int LAYERS = 30;
    private static final int HEADS = 9;
    private static final int KV_HEADS = 3;
    private static final int FFN = 1536;
    private static final int VOCAB = 49152;

    private DecoderBench() {
    }

    public static void main(String[] args) throws Exception {
        DType type = DType.valueOf(System.getProperty("bench.type", "Q8_0"));
        int prefill = Integer.getInteger("bench.prefill", 128);
        int decode = Integer.getInteger("bench.decode", 64);
        int rounds = Integer.getInteger("bench.rounds", 3);
        long t0 = System.nanoTime();
        ModelFile file = smolLm2Shaped(type);
        System.out.printf(Locale.ROOT, "model built in %.1f s (%s, %d threads)%n", (System.nanoTime() - t0) / 1e9, type,
                dev.plinth.tensor.Parallel.threads());
        DecoderModel model = DecoderModel.of(file);
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

    /** The model as an in-memory {@link ModelFile} in llama.cpp's GGUF names (nothing written to disk). */
    static ModelFile smolLm2Shaped(DType type) {
        SplittableRandom rnd = new SplittableRandom(42);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        int headDim = HIDDEN / HEADS;
        int kvDim = KV_HEADS * headDim;
        add(tensors, matrix("token_embd.weight", VOCAB, HIDDEN, rnd, type));
        add(tensors, InMemoryModel.ones("output_norm.weight", HIDDEN));
        for (int i = 0; i < LAYERS; i++) {
            String b = "blk." + i + ".";
            add(tensors, InMemoryModel.ones(b + "attn_norm.weight", HIDDEN));
            add(tensors, matrix(b + "attn_q.weight", HIDDEN, HIDDEN, rnd, type));
            add(tensors, matrix(b + "attn_k.weight", kvDim, HIDDEN, rnd, type));
            add(tensors, matrix(b + "attn_v.weight", kvDim, HIDDEN, rnd, type));
            add(tensors, matrix(b + "attn_output.weight", HIDDEN, HIDDEN, rnd, type));
            add(tensors, InMemoryModel.ones(b + "ffn_norm.weight", HIDDEN));
            add(tensors, matrix(b + "ffn_gate.weight", FFN, HIDDEN, rnd, type));
            add(tensors, matrix(b + "ffn_up.weight", FFN, HIDDEN, rnd, type));
            add(tensors, matrix(b + "ffn_down.weight", HIDDEN, FFN, rnd, type));
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("general.architecture", "llama");
        meta.put("llama.embedding_length", HIDDEN);
        meta.put("llama.block_count", LAYERS);
        meta.put("llama.feed_forward_length", FFN);
        meta.put("llama.attention.head_count", HEADS);
        meta.put("llama.attention.head_count_kv", KV_HEADS);
        meta.put("llama.attention.layer_norm_rms_epsilon", 1e-5);
        meta.put("llama.rope.freq_base", 100000.0);
        meta.put("llama.context_length", 8192);
        return new InMemoryModel("smollm2-135m-shaped", meta, tensors);
    }

    /** Off-heap, as the tensors of a memory-mapped file are ({@code -Dbench.heap=true} keeps heap arrays). */
    private static void add(Map<String, Tensor> m, Tensor t) {
        if (!Boolean.getBoolean("bench.heap")) {
            MemorySegment nat = Arena.global().allocate(t.data().byteSize(), 64);
            nat.copyFrom(t.data());
            t = new Tensor(t.name(), t.dtype(), t.shape(), nat);
        }
        m.put(t.name(), t);
    }

    private static Tensor matrix(String name, int rows, int cols, SplittableRandom rnd, DType type) {
        float[] x = new float[rows * cols];
        float scale = (float) (1 / Math.sqrt(cols));
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1) * scale;
        }
        Tensor f32 = Tensor.ofFloats(name, x, rows, cols);
        return type == DType.F32 ? f32 : Quantization.quantize(f32, type);
    }
}
