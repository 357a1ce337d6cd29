package dev.plinth.model.convert;

import dev.plinth.io.AtomicFiles;
import dev.plinth.io.gguf.GgufType;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.safetensors.SafetensorsWriter;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.GgufLayout;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * Seeded random-weight llama-family models (llama, mistral, qwen2, qwen3: biases, q/k norms, RoPE
 * frequency factors and sliding windows as the {@link DecoderConfig} says) written as GGUF files
 * that llama.cpp and Plinth load, or as Hugging Face folders with the same weights: for benchmarks
 * and tests where only the shape of a model matters. By default matrices are drawn from
 * N(0, 0.02²) (as transformers initializes them), norm weights are one, the tensor types follow
 * llama-quantize's rules for a {@link QuantType} ({@link TypeRules}) and the tokenizer is a
 * synthetic SentencePiece vocabulary of the model's size (unk, bos, eos, the 256 byte tokens, then
 * letter strings with and without the word-start mark). The same settings and seed give the same
 * file.
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

    /**
     * How weights are drawn: block matrices from N(0, σ²) with σ = {@code matrixScale}, the token
     * embedding and the output matrix with σ = {@code outputScale}, each σ divided by √(row length)
     * when {@code perFanIn}; norm weights 1 + N(0, normNoise²); biases N(0, biasStd²).
     */
    public record Init(double matrixScale, double outputScale, boolean perFanIn, double normNoise, double biasStd) {
        /** As transformers initializes a model: matrices and biases N(0, 0.02²), norm weights one. */
        public static final Init TRANSFORMERS = new Init(STD, STD, false, 0, STD);

        /**
         * Activations near unit scale through every block (σ = 1/√fan-in), logits of about
         * {@code outputGain} standard deviation, norm weights away from one so that a misplaced
         * norm shows: for tests that compare outputs.
         */
        public static Init unitScale(double outputGain, double normNoise, double biasStd) {
            return new Init(1, outputGain, true, normNoise, biasStd);
        }

        double std(Role role, long rowLength) {
            double scale = switch (role) {
                case OUTPUT -> outputScale;
                case BIAS -> biasStd;
                default -> matrixScale;
            };
            return perFanIn && role != Role.BIAS ? scale / Math.sqrt(rowLength) : scale;
        }
    }

    private RandomModels() {
    }

    /** A random model of {@code config}, untied, F32, seed 0, {@link Init#TRANSFORMERS}, with a vocabulary. */
    public static Builder builder(DecoderConfig config) {
        return new Builder(config);
    }

    /** A random model shaped like {@code preset}, tied as it is. */
    public static Builder builder(Preset preset) {
        return new Builder(preset.config).tiedEmbeddings(preset.tied);
    }

    /** The settings of a random model, and its writers. */
    public static final class Builder {
        private final DecoderConfig config;
        private boolean tied;
        private QuantType type = QuantType.F32;
        private DType matrixType;
        private long seed;
        private Init init = Init.TRANSFORMERS;
        private boolean vocabulary = true;

        private Builder(DecoderConfig config) {
            this.config = config;
        }

        /** Whether the output matrix is the token embedding (no output.weight). */
        public Builder tiedEmbeddings(boolean tied) {
            this.tied = tied;
            return this;
        }

        /** Tensor types as llama-quantize gives them for {@code type} (the default, F32, keeps every tensor F32). */
        public Builder type(QuantType type) {
            this.type = type;
            this.matrixType = null;
            return this;
        }

        /** Every weight matrix, the token embedding and the output included, in {@code type}; the rest F32. */
        public Builder matrixType(DType type) {
            this.matrixType = type;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder init(Init init) {
            this.init = init;
            return this;
        }

        /** No vocabulary ({@code tokenizer.ggml.model} none): for vocabularies under 285 tokens. */
        public Builder noVocabulary() {
            this.vocabulary = false;
            return this;
        }

        /** Writes the model as a GGUF file, atomically, one tensor in memory at a time. */
        public void writeGguf(Path out) throws IOException {
            Map<String, Spec> specs = specs();
            List<TypeRules.Source> sources = specs.values().stream()
                    .map(s -> new TypeRules.Source(s.name, DType.F32, s.shape)).toList();
            GgufQuantizer.Model model = new GgufQuantizer.Model(3, metadata(), sources, name -> draw(specs.get(name)));
            if (matrixType == null) {
                GgufQuantizer.write(model, out, type, GgufQuantizer.Listener.NONE);
            } else {
                Map<String, DType> plan = new LinkedHashMap<>();
                sources.forEach(s -> plan.put(s.name(), TypeRules.quantizable(s) ? matrixType : DType.F32));
                GgufQuantizer.write(model, plan, out, GgufQuantizer.Listener.NONE);
            }
        }

        /**
         * Writes the model as a Hugging Face folder ({@code config.json} and an F32
         * {@code model.safetensors}; other files in {@code dir} are left alone): the values
         * {@link #writeGguf} draws for the same settings before it types them (the same file
         * contents at F32), in transformers' names and RoPE layout.
         */
        public void writeHuggingFace(Path dir) throws IOException {
            List<Tensor> tensors = new ArrayList<>();
            for (Spec s : specs().values()) {
                tensors.add(draw(s));
            }
            Files.createDirectories(dir);
            SafetensorsWriter.write(dir.resolve("model.safetensors"),
                    ModelConverter.toHuggingFace(config, tensors), Map.of("format", "pt"));
            int bos = 1;
            int eos = 2; // as the synthetic vocabulary has them
            byte[] json = (ModelConverter.hfConfig(config, tied, bos, eos).toPrettyString() + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(dir.resolve("config.json"), ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(json)));
        }

        /** Every tensor in llama.cpp's order, the position in it seeding the tensor's values. */
        private Map<String, Spec> specs() {
            List<Spec> all = new ArrayList<>(RandomModels.specs(config, tied));
            all.sort((a, b) -> TypeRules.LLAMA_CPP_ORDER.compare(a.name, b.name));
            Map<String, Spec> byName = new LinkedHashMap<>();
            for (int i = 0; i < all.size(); i++) {
                Spec s = all.get(i);
                byName.put(s.name, new Spec(s.name, s.shape, s.role, i));
            }
            return byName;
        }

        private Tensor draw(Spec s) {
            return switch (s.role) {
                case NORM -> norm(s);
                case ROPE_FREQS -> Tensor.ofFloats(s.name, config.ropeFreqFactors(), s.shape);
                default -> gaussian(s.name, init.std(s.role, s.shape[s.shape.length - 1]), seed, s.index, s.shape);
            };
        }

        /** Ones, plus noise when the init asks for it. */
        private Tensor norm(Spec s) {
            float[] x = init.normNoise() == 0 ? new float[Math.toIntExact(s.shape[0])]
                    : gaussianValues(init.normNoise(), seed, s.index, s.shape);
            for (int i = 0; i < x.length; i++) {
                x[i] += 1f;
            }
            return Tensor.ofFloats(s.name, x, s.shape);
        }

        private Map<String, GgufValue> metadata() {
            String arch = GgufLayout.ggufArchitecture(config);
            Map<String, GgufValue> meta = new LinkedHashMap<>();
            meta.put("general.architecture", GgufValue.of(arch));
            meta.put("general.name", GgufValue.of("plinth-random"));
            meta.putAll(ModelConverter.hyperparameters(config));
            if (config.slidingWindow() > 0) {
                meta.put(arch + ".attention.sliding_window", GgufValue.ofUint32(config.slidingWindow()));
            }
            if (vocabulary) {
                spmVocabulary(meta, config.vocabSize());
            } else {
                meta.put("tokenizer.ggml.model", GgufValue.of("none"));
            }
            return meta;
        }
    }

    /** What a tensor is, which decides how its values are drawn. */
    enum Role { MATRIX, OUTPUT, NORM, BIAS, ROPE_FREQS }

    private record Spec(String name, long[] shape, Role role, int index) {
        Spec(String name, Role role, long... shape) {
            this(name, shape, role, -1);
        }
    }

    private static List<Spec> specs(DecoderConfig c, boolean tied) {
        List<Spec> s = new ArrayList<>();
        int h = c.hiddenSize();
        s.add(new Spec("token_embd.weight", Role.OUTPUT, c.vocabSize(), h));
        s.add(new Spec("output_norm.weight", Role.NORM, h));
        if (!tied) {
            s.add(new Spec("output.weight", Role.OUTPUT, c.vocabSize(), h));
        }
        if (c.ropeFreqFactors() != null) {
            s.add(new Spec("rope_freqs.weight", Role.ROPE_FREQS, c.rotaryDim() / 2));
        }
        for (int i = 0; i < c.layers(); i++) {
            String b = "blk." + i + ".";
            s.add(new Spec(b + "attn_norm.weight", Role.NORM, h));
            s.add(new Spec(b + "attn_q.weight", Role.MATRIX, c.qDim(), h));
            s.add(new Spec(b + "attn_k.weight", Role.MATRIX, c.kvDim(), h));
            s.add(new Spec(b + "attn_v.weight", Role.MATRIX, c.kvDim(), h));
            if (c.qkvBias()) {
                s.add(new Spec(b + "attn_q.bias", Role.BIAS, c.qDim()));
                s.add(new Spec(b + "attn_k.bias", Role.BIAS, c.kvDim()));
                s.add(new Spec(b + "attn_v.bias", Role.BIAS, c.kvDim()));
            }
            if (c.qkNorm()) {
                s.add(new Spec(b + "attn_q_norm.weight", Role.NORM, c.headDim()));
                s.add(new Spec(b + "attn_k_norm.weight", Role.NORM, c.headDim()));
            }
            s.add(new Spec(b + "attn_output.weight", Role.MATRIX, h, c.qDim()));
            s.add(new Spec(b + "ffn_norm.weight", Role.NORM, h));
            s.add(new Spec(b + "ffn_gate.weight", Role.MATRIX, c.ffnSize(), h));
            s.add(new Spec(b + "ffn_up.weight", Role.MATRIX, c.ffnSize(), h));
            s.add(new Spec(b + "ffn_down.weight", Role.MATRIX, h, c.ffnSize()));
        }
        return s;
    }

    /** A SentencePiece vocabulary llama.cpp accepts: special and byte tokens, then unique letter strings. */
    static void spmVocabulary(Map<String, GgufValue> meta, int size) {
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
        meta.put("tokenizer.ggml.model", GgufValue.of("llama"));
        meta.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufType.STRING, tokens));
        meta.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufType.FLOAT32, scores));
        meta.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufType.INT32, types));
        meta.put("tokenizer.ggml.unknown_token_id", GgufValue.ofUint32(0));
        meta.put("tokenizer.ggml.bos_token_id", GgufValue.ofUint32(1));
        meta.put("tokenizer.ggml.eos_token_id", GgufValue.ofUint32(2));
        meta.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(true));
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

    /**
     * An F32 tensor of N(0, std²) values, the same for the same {@code seed} and {@code stream};
     * each row (last dimension) has its own generator, so rows are drawn in parallel.
     */
    public static Tensor gaussian(String name, double std, long seed, int stream, long... shape) {
        return Tensor.ofFloats(name, gaussianValues(std, seed, stream, shape), shape);
    }

    private static float[] gaussianValues(double std, long seed, int stream, long[] shape) {
        int cols = Math.toIntExact(shape[shape.length - 1]);
        int rows = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact) / cols);
        float[] x = new float[Math.multiplyExact(rows, cols)];
        SplittableRandom root = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + stream);
        long rowSeed = root.nextLong();
        IntStream.range(0, rows).parallel().forEach(r -> {
            SplittableRandom rnd = new SplittableRandom(rowSeed + r * 0xBF58476D1CE4E5B9L);
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                x[base + c] = (float) (rnd.nextGaussian() * std);
            }
        });
        return x;
    }
}
