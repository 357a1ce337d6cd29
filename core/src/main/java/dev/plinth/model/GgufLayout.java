package dev.plinth.model;

import dev.plinth.io.ModelFormat;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * How llama.cpp's GGUF lays out a decoder compared with transformers' Hugging Face folders: the
 * architecture name llama.cpp runs a model as, the tensor names, and the row order of the q/k
 * projections (interleaved RoPE pairs in a llama GGUF, rotate-half in transformers). The converter,
 * the decoder reading a Hugging Face folder, and the adapter files all go through this one table.
 */
public final class GgufLayout {
    private GgufLayout() {
    }

    /** The GGUF architecture llama.cpp runs {@code c} as: mistral is llama there. */
    public static String ggufArchitecture(DecoderConfig c) {
        return c.architecture().equals("mistral") ? "llama" : c.architecture();
    }

    /**
     * Whether llama.cpp keeps the q/k rows of {@code c} in another order than transformers: llama
     * and mistral run interleaved RoPE pairs in GGUF and rotate-half in Hugging Face folders; qwen2
     * and qwen3 run NeoX RoPE in both and keep their rows.
     */
    public static boolean permutesQk(DecoderConfig c) {
        return ggufArchitecture(c).equals("llama");
    }

    /**
     * {@code rows}, whose rows are output features of the weight {@code ggufWeight} (the weight
     * itself, or a LoRA B of it) in Hugging Face's order, in GGUF's order: the q/k rows of llama and
     * mistral become interleaved RoPE pairs ({@link #toInterleaved}); every other tensor is returned as is.
     */
    public static Tensor toGgufRows(DecoderConfig c, String ggufWeight, Tensor rows) {
        int heads = qkHeads(c, ggufWeight);
        return heads == 0 ? rows : toInterleaved(rows, heads);
    }

    /** The inverse of {@link #toGgufRows}: rows in GGUF's order put in Hugging Face's ({@link #toRotateHalf}). */
    public static Tensor toHfRows(DecoderConfig c, String ggufWeight, Tensor rows) {
        int heads = qkHeads(c, ggufWeight);
        return heads == 0 ? rows : toRotateHalf(rows, heads);
    }

    /** The heads whose RoPE pairs order the rows of {@code ggufWeight}, or 0 when its rows stay as they are. */
    private static int qkHeads(DecoderConfig c, String ggufWeight) {
        if (!permutesQk(c)) {
            return 0;
        }
        if (ggufWeight.endsWith("attn_q.weight")) {
            return c.heads();
        }
        return ggufWeight.endsWith("attn_k.weight") ? c.kvHeads() : 0;
    }

    /**
     * Hugging Face name to llama.cpp name of every decoder weight and bias of {@code layers} blocks
     * (e.g. {@code model.layers.0.self_attn.q_proj.weight} to {@code blk.0.attn_q.weight}), built
     * from {@link TensorNames}.
     */
    public static Map<String, String> hfNames(int layers) {
        TensorNames hf = TensorNames.of(ModelFormat.HF_FOLDER);
        TensorNames gguf = TensorNames.of(ModelFormat.GGUF);
        Map<String, String> m = new HashMap<>();
        m.put(hf.embedding(), gguf.embedding());
        m.put(hf.outputNorm(), gguf.outputNorm());
        m.put(hf.output(), gguf.output());
        for (int i = 0; i < layers; i++) {
            for (String role : TensorNames.LAYER_ROLES) {
                m.put(hf.layer(i, role), gguf.layer(i, role));
                m.put(hf.bias(i, role), gguf.bias(i, role));
            }
        }
        return m;
    }

    /**
     * Rows of a q or k projection reordered from Hugging Face's rotate-half layout (per head: all
     * first halves of the RoPE pairs, then all second halves) to llama.cpp's interleaved pairs:
     * row {@code 2i + j} of a head comes from row {@code j * half + i}.
     */
    public static Tensor toInterleaved(Tensor t, int heads) {
        return permuteRows(t, heads, true);
    }

    /**
     * The inverse of {@link #toInterleaved}: rows of a q or k projection in llama.cpp's interleaved
     * RoPE pairs reordered to Hugging Face's rotate-half layout, as transformers' own llama
     * conversion script permutes them: row {@code j * half + i} of a head comes from row {@code 2i + j}.
     */
    public static Tensor toRotateHalf(Tensor t, int heads) {
        return permuteRows(t, heads, false);
    }

    private static Tensor permuteRows(Tensor t, int heads, boolean toInterleaved) {
        long rows = t.dim(0);
        long rowBytes = t.dtype().byteSize(t.dim(t.rank() - 1));
        for (int d = 1; d < t.rank() - 1; d++) {
            rowBytes *= t.dim(d);
        }
        if (rows % (2L * heads) != 0) {
            throw new IllegalArgumentException(t + ": " + rows + " rows do not split into " + heads + " heads of pairs");
        }
        int headRows = (int) (rows / heads);
        int half = headRows / 2;
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(rows * rowBytes)]);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    long interleaved = (long) h * headRows + 2L * i + j;
                    long rotateHalf = (long) h * headRows + (long) j * half + i;
                    long src = toInterleaved ? rotateHalf : interleaved;
                    long dst = toInterleaved ? interleaved : rotateHalf;
                    MemorySegment.copy(t.data(), src * rowBytes, out, dst * rowBytes, rowBytes);
                }
            }
        }
        return new Tensor(t.name(), t.dtype(), t.shape(), out);
    }
}
