package dev.plinth.model.convert;

import dev.plinth.io.gguf.GgufType;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.gguf.GgufWriter;
import dev.plinth.model.DecoderConfig;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Seeded random-weight llama-family models written as GGUF files that llama.cpp and Plinth load:
 * for benchmarks and tests where only the shape of a model matters. Matrices are drawn from
 * N(0, 0.02²) (as transformers initializes them), norm weights are one, and the tokenizer is a
 * synthetic SentencePiece vocabulary of the model's size (unk, bos, eos, the 256 byte tokens, then
 * letter strings with and without the word-start mark). Tensor types follow llama-quantize's
 * rules for the chosen {@link QuantType} ({@link TypeRules}).
 */
public final class RandomModels {
    private static final double STD = 0.02;

    /** Shapes of published models, for benchmarks at realistic sizes. */
    public enum Preset {
        /** HuggingFaceTB/SmolLM2-135M: tied embeddings. */
        SMOLLM2_135M("smollm2-135m", 576, 30, 9, 3, 1536, 49152, 8192, 100000, true),
        /** TinyLlama/TinyLlama-1.1B: untied output. */
        TINYLLAMA_1_1B("tinyllama-1.1b", 2048, 22, 32, 4, 5632, 32000, 2048, 10000, false);

        private final String cliName;
        private final DecoderConfig config;
        private final boolean tied;

        Preset(String cliName, int hidden, int layers, int heads, int kvHeads, int ffn, int vocab, int context,
               double theta, boolean tied) {
            this.cliName = cliName;
            this.config = DecoderConfig.builder("llama").hiddenSize(hidden).layers(layers).heads(heads).kvHeads(kvHeads)
                    .ffnSize(ffn).vocabSize(vocab).contextLength(context).ropeBase(theta).build();
            this.tied = tied;
        }

        public String cliName() {
            return cliName;
        }

        public DecoderConfig config() {
            return config;
        }

        /** Whether the output matrix is the token embedding. */
        public boolean tiedEmbeddings() {
            return tied;
        }

        public static Preset parse(String name) {
            for (Preset p : values()) {
                if (p.cliName.equalsIgnoreCase(name)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown preset '" + name + "'; expected one of "
                    + Arrays.stream(values()).map(Preset::cliName).toList());
        }
    }

    private RandomModels() {
    }

    /** Writes a random model shaped like {@code preset}. */
    public static void write(Path out, Preset preset, QuantType type, long seed) throws IOException {
        write(out, preset.config(), preset.tiedEmbeddings(), type, seed);
    }

    /**
     * Writes a random model of {@code config} (llama, mistral, qwen2 or qwen3; biases and q/k norms
     * as the configuration says; RoPE frequency factors are not written) to {@code out}, atomically.
     */
    public static void write(Path out, DecoderConfig config, boolean tiedEmbeddings, QuantType type, long seed)
            throws IOException {
        String arch = config.architecture().equals("mistral") ? "llama" : config.architecture();
        List<Spec> specs = specs(config, tiedEmbeddings);
        List<TypeRules.Source> sources = specs.stream()
                .map(s -> new TypeRules.Source(s.name, DType.F32, s.shape)).toList();
        Map<String, DType> plan = TypeRules.plan(sources, type, config.layers());
        Map<String, Spec> byName = new LinkedHashMap<>();
        specs.forEach(s -> byName.put(s.name, s));
        GgufWriter w = new GgufWriter();
        metadata(w, arch, config, type);
        try (ScratchFile scratch = new ScratchFile(out)) {
            int index = 0;
            for (Map.Entry<String, DType> e : plan.entrySet()) {
                Spec s = byName.get(e.getKey());
                Tensor f32 = s.norm ? ones(s) : gaussian(s, seed, index);
                scratch.add(GgufQuantizer.convert(f32, e.getValue()));
                index++;
            }
            scratch.tensors().forEach(w::add);
            w.write(out);
        }
    }

    private record Spec(String name, long[] shape, boolean norm) {
    }

    private static List<Spec> specs(DecoderConfig c, boolean tied) {
        List<Spec> s = new ArrayList<>();
        int h = c.hiddenSize();
        s.add(new Spec("token_embd.weight", new long[] {c.vocabSize(), h}, false));
        s.add(new Spec("output_norm.weight", new long[] {h}, true));
        if (!tied) {
            s.add(new Spec("output.weight", new long[] {c.vocabSize(), h}, false));
        }
        for (int i = 0; i < c.layers(); i++) {
            String b = "blk." + i + ".";
            s.add(new Spec(b + "attn_norm.weight", new long[] {h}, true));
            s.add(new Spec(b + "attn_q.weight", new long[] {c.qDim(), h}, false));
            s.add(new Spec(b + "attn_k.weight", new long[] {c.kvDim(), h}, false));
            s.add(new Spec(b + "attn_v.weight", new long[] {c.kvDim(), h}, false));
            if (c.qkvBias()) {
                s.add(new Spec(b + "attn_q.bias", new long[] {c.qDim()}, false));
                s.add(new Spec(b + "attn_k.bias", new long[] {c.kvDim()}, false));
                s.add(new Spec(b + "attn_v.bias", new long[] {c.kvDim()}, false));
            }
            if (c.qkNorm()) {
                s.add(new Spec(b + "attn_q_norm.weight", new long[] {c.headDim()}, true));
                s.add(new Spec(b + "attn_k_norm.weight", new long[] {c.headDim()}, true));
            }
            s.add(new Spec(b + "attn_output.weight", new long[] {h, c.qDim()}, false));
            s.add(new Spec(b + "ffn_norm.weight", new long[] {h}, true));
            s.add(new Spec(b + "ffn_gate.weight", new long[] {c.ffnSize(), h}, false));
            s.add(new Spec(b + "ffn_up.weight", new long[] {c.ffnSize(), h}, false));
            s.add(new Spec(b + "ffn_down.weight", new long[] {h, c.ffnSize()}, false));
        }
        return s;
    }

    private static void metadata(GgufWriter w, String arch, DecoderConfig c, QuantType type) {
        String p = arch + ".";
        w.put("general.architecture", GgufValue.of(arch));
        w.put("general.name", GgufValue.of("plinth-random"));
        w.put(p + "context_length", GgufValue.ofUint32(c.contextLength()));
        w.put(p + "embedding_length", GgufValue.ofUint32(c.hiddenSize()));
        w.put(p + "block_count", GgufValue.ofUint32(c.layers()));
        w.put(p + "feed_forward_length", GgufValue.ofUint32(c.ffnSize()));
        w.put(p + "attention.head_count", GgufValue.ofUint32(c.heads()));
        w.put(p + "attention.head_count_kv", GgufValue.ofUint32(c.kvHeads()));
        w.put(p + "rope.freq_base", GgufValue.ofFloat32((float) c.ropeBase()));
        w.put(p + "attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(c.rmsEps()));
        w.put(p + "rope.dimension_count", GgufValue.ofUint32(c.rotaryDim()));
        if (c.qDim() != c.hiddenSize()) {
            w.put(p + "attention.key_length", GgufValue.ofUint32(c.headDim()));
            w.put(p + "attention.value_length", GgufValue.ofUint32(c.headDim()));
        }
        spmVocabulary(w, c.vocabSize());
        // last and in this order, as llama-quantize leaves them: a mix written here equals the quantized F32 model
        w.put("general.quantization_version", GgufValue.ofUint32(GgufQuantizer.QUANTIZATION_VERSION));
        w.put("general.file_type", GgufValue.ofUint32(type.llamaFtype()));
    }

    /** A SentencePiece vocabulary llama.cpp accepts: special and byte tokens, then unique letter strings. */
    static void spmVocabulary(GgufWriter w, int size) {
        if (size < 259 + 26) {
            throw new IllegalArgumentException("a vocabulary needs at least 285 tokens, not " + size);
        }
        List<String> tokens = new ArrayList<>(size);
        List<Float> scores = new ArrayList<>(size);
        List<Integer> types = new ArrayList<>(size);
        tokens.add("<unk>");
        types.add(2);
        tokens.add("<s>");
        types.add(3);
        tokens.add("</s>");
        types.add(3);
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format(Locale.ROOT, "<0x%02X>", b));
            types.add(6);
        }
        for (int i = 0; tokens.size() < size; i++) {
            String word = letters(i);
            tokens.add("\u2581" + word);
            types.add(1);
            if (tokens.size() < size) {
                tokens.add(word);
                types.add(1);
            }
        }
        for (int i = 0; i < size; i++) {
            scores.add(i < 259 ? 0f : -(float) (i - 259));
        }
        w.put("tokenizer.ggml.model", GgufValue.of("llama"));
        w.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufType.STRING, tokens));
        w.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufType.FLOAT32, scores));
        w.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufType.INT32, types));
        w.put("tokenizer.ggml.unknown_token_id", GgufValue.ofUint32(0));
        w.put("tokenizer.ggml.bos_token_id", GgufValue.ofUint32(1));
        w.put("tokenizer.ggml.eos_token_id", GgufValue.ofUint32(2));
        w.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(true));
    }

    /** a, b, ..., z, aa, ab, ...: the i-th string over the alphabet, shortest first. */
    static String letters(int i) {
        StringBuilder sb = new StringBuilder();
        int n = i;
        do {
            sb.append((char) ('a' + n % 26));
            n = n / 26 - 1;
        } while (n >= 0);
        return sb.reverse().toString();
    }

    private static Tensor ones(Spec s) {
        float[] x = new float[Math.toIntExact(s.shape[0])];
        Arrays.fill(x, 1f);
        return Tensor.ofFloats(s.name, x, s.shape);
    }

    /** N(0, 0.02²) values; each row has its own generator so rows are drawn in parallel. */
    private static Tensor gaussian(Spec s, long seed, int tensorIndex) {
        int cols = Math.toIntExact(s.shape[s.shape.length - 1]);
        int rows = s.shape.length == 1 ? 1 : Math.toIntExact(s.shape[0]);
        float[] x = new float[Math.multiplyExact(rows, cols)];
        SplittableRandom root = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + tensorIndex);
        long rowSeed = root.nextLong();
        IntStream.range(0, rows).parallel().forEach(r -> {
            SplittableRandom rnd = new SplittableRandom(rowSeed + r * 0xBF58476D1CE4E5B9L);
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                x[base + c] = (float) (rnd.nextGaussian() * STD);
            }
        });
        return Tensor.ofFloats(s.name, x, s.shape);
    }
}
