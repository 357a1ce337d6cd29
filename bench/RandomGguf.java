import dev.plinth.io.gguf.GgufType;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.gguf.GgufWriter;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a random-weight llama GGUF shaped like SmolLM2-135M or TinyLlama-1.1B, for speed runs only
 * (run with the Plinth jar on the class path: java -cp plinth.jar bench/RandomGguf.java SHAPE TYPE OUT).
 * TYPE is F16, Q8_0, Q4_0 or Q4_K_M (Q4_K with Q6_K for the output and, as llama.cpp's quantizer
 * does, for attn_v and ffn_down in some layers). One random matrix per shape and type is shared by
 * all layers, so writing is fast; the file still holds every layer's copy.
 */
public class RandomGguf {

    record Shape(String name, int hidden, int ffn, int layers, int heads, int kvHeads, int vocab, boolean tied,
                 double theta) {
    }

    static final Shape SMOLLM2_135M = new Shape("smollm2-135m-random", 576, 1536, 30, 9, 3, 49152, true, 100000);
    static final Shape TINYLLAMA_1_1B = new Shape("tinyllama-1.1b-random", 2048, 5632, 22, 32, 4, 32000, false, 10000);

    private static final Map<String, Tensor> CACHE = new HashMap<>();

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: RandomGguf smollm2-135m|tinyllama-1.1b F16|Q8_0|Q4_0|Q4_K_M OUT.gguf");
            System.exit(2);
        }
        Shape s = switch (args[0]) {
            case "smollm2-135m" -> SMOLLM2_135M;
            case "tinyllama-1.1b" -> TINYLLAMA_1_1B;
            default -> throw new IllegalArgumentException("unknown shape " + args[0]);
        };
        String type = args[1];
        DType main = type.equals("Q4_K_M") ? DType.Q4_K : DType.valueOf(type);
        DType more = type.equals("Q4_K_M") ? DType.Q6_K : main;
        write(s, main, more, Path.of(args[2]));
    }

    static void write(Shape s, DType main, DType more, Path out) throws Exception {
        int hd = s.hidden / s.heads;
        int kvDim = s.kvHeads * hd;
        String p = "llama.";
        GgufWriter w = new GgufWriter()
                .put("general.architecture", GgufValue.of("llama"))
                .put("general.name", GgufValue.of(s.name))
                .put(p + "context_length", GgufValue.ofUint32(2048))
                .put(p + "embedding_length", GgufValue.ofUint32(s.hidden))
                .put(p + "block_count", GgufValue.ofUint32(s.layers))
                .put(p + "feed_forward_length", GgufValue.ofUint32(s.ffn))
                .put(p + "attention.head_count", GgufValue.ofUint32(s.heads))
                .put(p + "attention.head_count_kv", GgufValue.ofUint32(s.kvHeads))
                .put(p + "attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f))
                .put(p + "rope.freq_base", GgufValue.ofFloat32((float) s.theta))
                .put(p + "rope.dimension_count", GgufValue.ofUint32(hd))
                .put(p + "vocab_size", GgufValue.ofUint32(s.vocab));
        vocabulary(w, s.vocab);
        w.add(matrix("token_embd.weight", s.vocab, s.hidden, 0.25, main));
        w.add(ones("output_norm.weight", s.hidden));
        if (!s.tied) {
            w.add(matrix("output.weight", s.vocab, s.hidden, 4 / Math.sqrt(s.hidden), more));
        }
        for (int i = 0; i < s.layers; i++) {
            String b = "blk." + i + ".";
            DType mixed = moreBits(i, s.layers) ? more : main;
            double in = 1 / Math.sqrt(s.hidden);
            w.add(ones(b + "attn_norm.weight", s.hidden));
            w.add(matrix(b + "attn_q.weight", s.hidden, s.hidden, in, main));
            w.add(matrix(b + "attn_k.weight", kvDim, s.hidden, in, main));
            w.add(matrix(b + "attn_v.weight", kvDim, s.hidden, in, mixed));
            w.add(matrix(b + "attn_output.weight", s.hidden, s.hidden, in, main));
            w.add(ones(b + "ffn_norm.weight", s.hidden));
            w.add(matrix(b + "ffn_gate.weight", s.ffn, s.hidden, in, main));
            w.add(matrix(b + "ffn_up.weight", s.ffn, s.hidden, in, main));
            w.add(matrix(b + "ffn_down.weight", s.hidden, s.ffn, 1 / Math.sqrt(s.ffn), mixed));
        }
        w.write(out);
        long perToken = 0;
        for (Tensor t : w.tensors()) {
            boolean embeddingOnlyLooksUp = t.name().equals("token_embd.weight") && !s.tied;
            perToken += embeddingOnlyLooksUp ? 0 : t.byteSize();
        }
        // weights a decode step streams (a tied embedding is read whole as the output matrix)
        System.out.println("decode-bytes-per-token " + perToken);
    }

    /**
     * A SentencePiece-style vocabulary llama.cpp accepts (it needs one to load the model): unknown,
     * BOS and EOS, the 256 byte tokens, then filler pieces. The benchmarks feed token ids directly.
     */
    static void vocabulary(GgufWriter w, int size) {
        List<String> tokens = new ArrayList<>(size);
        List<Float> scores = new ArrayList<>(size);
        List<Integer> types = new ArrayList<>(size);
        tokens.addAll(List.of("<unk>", "<s>", "</s>"));
        types.addAll(List.of(2, 3, 3));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            types.add(6);
        }
        for (int i = tokens.size(); i < size; i++) {
            tokens.add("\u2581t" + i);
            types.add(1);
        }
        for (int i = 0; i < size; i++) {
            scores.add(-(float) i);
        }
        w.put("tokenizer.ggml.model", GgufValue.of("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufType.STRING, tokens))
                .put("tokenizer.ggml.scores", GgufValue.ofArray(GgufType.FLOAT32, scores))
                .put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufType.INT32, types))
                .put("tokenizer.ggml.unknown_token_id", GgufValue.ofUint32(0))
                .put("tokenizer.ggml.bos_token_id", GgufValue.ofUint32(1))
                .put("tokenizer.ggml.eos_token_id", GgufValue.ofUint32(2));
    }

    /** llama.cpp's Q4_K_M rule for which layers' attn_v and ffn_down get more bits. */
    static boolean moreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    static Tensor matrix(String name, int rows, int cols, double std, DType wanted) {
        // llama.cpp's fallback for rows that are not whole 256-value super-blocks
        DType type = cols % 256 == 0 ? wanted : switch (wanted) {
            case Q4_K -> DType.Q5_0;
            case Q6_K -> DType.Q8_0;
            default -> wanted;
        };
        String key = rows + "x" + cols + ":" + std + ":" + type;
        Tensor shared = CACHE.computeIfAbsent(key, k -> {
            SplittableRandom rnd = new SplittableRandom(k.hashCode());
            float[] x = new float[rows * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (std * (rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble() - 1.5) * 2);
            }
            Tensor f32 = Tensor.ofFloats(name, x, rows, cols);
            return Quantization.quantize(f32, type);
        });
        return new Tensor(name, shared.dtype(), shared.shape(), shared.data());
    }

    static Tensor ones(String name, int n) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, 1f);
        return Tensor.ofFloats(name, x, n);
    }
}
