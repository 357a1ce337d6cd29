package dev.plinth.io.llama2c;

import java.util.ArrayList;
import java.util.List;

/**
 * Where each weight sits in a llama2.c checkpoint: float32, row-major, in the order of llama2.c's
 * {@code memory_map_weights}. Per-layer weights are stored stacked over layers and are sliced
 * here into one tensor per layer, named as llama.cpp's converter names them in GGUF (the weights
 * are in the same, Meta, layout: no query/key permutation to undo).
 */
final class Llama2cLayout {

    static final int HEADER_BYTES = 7 * Integer.BYTES;

    /** One tensor: GGUF-style name, row-major shape, byte offset in the file. */
    record Slot(String name, long[] shape, long offset, long byteSize, boolean legacy) {
    }

    private Llama2cLayout() {
    }

    /**
     * The slots of a checkpoint with this config in file order, the legacy RoPE tables included
     * (flagged), ending with the total file size. Throws ArithmeticException on overflow.
     */
    static List<Slot> slots(Llama2cConfig c) {
        long dim = c.dim();
        long hidden = c.hiddenDim();
        long kv = c.kvDim();
        long vocab = c.vocabSize();
        int layers = c.nLayers();
        List<Slot> out = new ArrayList<>();
        long[] at = {HEADER_BYTES};
        add(out, at, "token_embd.weight", false, vocab, dim);
        stacked(out, at, layers, "attn_norm.weight", dim);
        stacked(out, at, layers, "attn_q.weight", dim, dim);
        stacked(out, at, layers, "attn_k.weight", kv, dim);
        stacked(out, at, layers, "attn_v.weight", kv, dim);
        stacked(out, at, layers, "attn_output.weight", dim, dim);
        stacked(out, at, layers, "ffn_norm.weight", dim);
        stacked(out, at, layers, "ffn_gate.weight", hidden, dim);
        stacked(out, at, layers, "ffn_down.weight", dim, hidden);
        stacked(out, at, layers, "ffn_up.weight", hidden, dim);
        add(out, at, "output_norm.weight", false, dim);
        long half = c.headSize() / 2;
        add(out, at, Llama2cCheckpoint.FREQ_CIS_REAL, true, c.seqLen(), half);
        add(out, at, Llama2cCheckpoint.FREQ_CIS_IMAG, true, c.seqLen(), half);
        if (!c.sharedClassifier()) {
            add(out, at, "output.weight", false, vocab, dim);
        }
        return out;
    }

    /**
     * Total file size for this config, computed without allocating anything; throws
     * ArithmeticException on overflow.
     */
    static long fileSize(Llama2cConfig c) {
        long dim = c.dim();
        long hidden = c.hiddenDim();
        long kv = c.kvDim();
        long embedding = Math.multiplyExact((long) c.vocabSize(), dim);
        long perLayer = Math.addExact(Math.addExact(2 * dim, Math.multiplyExact(2 * dim, dim)),
                Math.addExact(Math.multiplyExact(2 * kv, dim), Math.multiplyExact(3 * hidden, dim)));
        long floats = Math.addExact(embedding, Math.multiplyExact(perLayer, c.nLayers()));
        floats = Math.addExact(floats, dim);
        floats = Math.addExact(floats, Math.multiplyExact(2L * c.seqLen(), c.headSize() / 2));
        if (!c.sharedClassifier()) {
            floats = Math.addExact(floats, embedding);
        }
        return Math.addExact(HEADER_BYTES, Math.multiplyExact(floats, Float.BYTES));
    }

    private static void stacked(List<Slot> out, long[] at, int layers, String suffix, long... shape) {
        for (int i = 0; i < layers; i++) {
            add(out, at, "blk." + i + "." + suffix, false, shape);
        }
    }

    private static void add(List<Slot> out, long[] at, String name, boolean legacy, long... shape) {
        long n = Float.BYTES;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        out.add(new Slot(name, shape, at[0], n, legacy));
        at[0] = Math.addExact(at[0], n);
    }
}
