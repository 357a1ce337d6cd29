package dev.plinth.model;

import dev.plinth.io.ModelFile;
import dev.plinth.io.hf.HfConfig;
import dev.plinth.io.llama2c.Llama2cConfig;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.RopeLayout;
import dev.plinth.tensor.Tensor;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The shape of a llama-family decoder (llama, mistral, qwen2, qwen3), read from GGUF metadata,
 * a Hugging Face {@code config.json} or a llama2.c header, or made with {@link #builder}.
 *
 * @param architecture   GGUF {@code general.architecture} (llama, mistral, qwen2 or qwen3)
 * @param hiddenSize     width of the residual stream
 * @param layers         number of transformer blocks
 * @param ffnSize        inner width of the SwiGLU feed-forward layer
 * @param heads          query heads
 * @param kvHeads        key/value heads (grouped-query attention when fewer than {@code heads})
 * @param headDim        width of one head (may differ from hiddenSize / heads, e.g. Qwen3)
 * @param rotaryDim      leading dimensions of each head that RoPE turns
 * @param vocabSize      rows of the token embedding
 * @param contextLength  positions the model was trained for
 * @param rmsEps         epsilon of every RMSNorm
 * @param ropeBase       RoPE frequency base (theta)
 * @param ropeFreqFactors per-pair divisors of the RoPE frequencies (Llama 3 scaling), or null
 * @param ropeLayout     how RoPE pairs dimensions
 * @param slidingWindow  keys a query may see, itself included (Mistral), or 0 for full attention
 * @param qkvBias        whether q/k/v projections carry biases (Qwen2)
 * @param qkNorm         whether q and k get a per-head RMSNorm before RoPE (Qwen3)
 */
public record DecoderConfig(String architecture, int hiddenSize, int layers, int ffnSize, int heads, int kvHeads,
                            int headDim, int rotaryDim, int vocabSize, int contextLength, float rmsEps,
                            double ropeBase, float[] ropeFreqFactors, RopeLayout ropeLayout, int slidingWindow,
                            boolean qkvBias, boolean qkNorm) {

    /** The architectures this decoder runs. */
    public static final List<String> SUPPORTED_ARCHITECTURES = List.of("llama", "mistral", "qwen2", "qwen3");
    /** Hugging Face {@code architectures} entries this decoder runs. */
    public static final List<String> SUPPORTED_HF = List.of("LlamaForCausalLM", "MistralForCausalLM",
            "Qwen2ForCausalLM", "Qwen3ForCausalLM");

    public DecoderConfig {
        if (!SUPPORTED_ARCHITECTURES.contains(architecture)) {
            throw new UnsupportedModelException("architecture '" + architecture + "' is not supported; the decoder runs "
                    + SUPPORTED_ARCHITECTURES);
        }
        positive("hidden size", hiddenSize);
        positive("layer count", layers);
        positive("feed-forward size", ffnSize);
        positive("head count", heads);
        positive("key/value head count", kvHeads);
        positive("head size", headDim);
        positive("vocabulary size", vocabSize);
        positive("context length", contextLength);
        if (heads % kvHeads != 0) {
            throw new UnsupportedModelException(heads + " query heads are not a multiple of " + kvHeads + " key/value heads");
        }
        if (rotaryDim <= 0 || rotaryDim > headDim || rotaryDim % 2 != 0) {
            throw new UnsupportedModelException("rotary dimension " + rotaryDim + " must be even and within head size "
                    + headDim);
        }
        if ((long) heads * headDim > 1 << 20 || (long) ffnSize > 1 << 22 || layers > 4096) {
            throw new UnsupportedModelException("implausible shape: " + heads + " heads x " + headDim + ", ffn " + ffnSize
                    + ", " + layers + " layers");
        }
        if (ropeFreqFactors != null) {
            if (ropeFreqFactors.length != rotaryDim / 2) {
                throw new UnsupportedModelException("rope frequency factors have " + ropeFreqFactors.length
                        + " entries, expected rotary dimension / 2 = " + rotaryDim / 2);
            }
            ropeFreqFactors = ropeFreqFactors.clone();
        }
        if (slidingWindow < 0) {
            throw new UnsupportedModelException("negative sliding window " + slidingWindow);
        }
        if (!(rmsEps > 0) || !(ropeBase > 0)) {
            throw new UnsupportedModelException("rms epsilon " + rmsEps + " and rope base " + ropeBase + " must be positive");
        }
    }

    @Override
    public float[] ropeFreqFactors() {
        return ropeFreqFactors == null ? null : ropeFreqFactors.clone();
    }

    /** Width of the query projection. */
    public int qDim() {
        return heads * headDim;
    }

    /** Width of the key and value projections. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /**
     * A configuration built by name: the architecture and the shape (hidden size, layers, feed-forward
     * size, heads, vocabulary) are set; the rest defaults to key/value heads = heads, head size
     * hiddenSize / heads, RoPE over the whole head, context 2048, RMS epsilon 1e-5, RoPE base 10000
     * without frequency factors, no sliding window, and what the architecture means in GGUF:
     * interleaved RoPE without biases or q/k norm, except qwen2 (NeoX RoPE, q/k/v biases) and qwen3
     * (NeoX RoPE, q/k norm).
     */
    public static Builder builder(String architecture) {
        return new Builder(architecture);
    }

    /** Builds a {@link DecoderConfig}; see {@link #builder} for the defaults. The record checks the values. */
    public static final class Builder {
        private final String architecture;
        private int hiddenSize;
        private int layers;
        private int ffnSize;
        private int heads;
        private Integer kvHeads;
        private Integer headDim;
        private Integer rotaryDim;
        private int vocabSize;
        private int contextLength = 2048;
        private float rmsEps = 1e-5f;
        private double ropeBase = 10000;
        private float[] ropeFreqFactors;
        private RopeLayout ropeLayout;
        private int slidingWindow;
        private boolean qkvBias;
        private final boolean qkNorm;

        private Builder(String architecture) {
            this.architecture = architecture;
            boolean qwen = architecture.equals("qwen2") || architecture.equals("qwen3");
            this.ropeLayout = qwen ? RopeLayout.NEOX : RopeLayout.INTERLEAVED;
            this.qkvBias = architecture.equals("qwen2");
            this.qkNorm = architecture.equals("qwen3");
        }

        public Builder hiddenSize(int hiddenSize) {
            this.hiddenSize = hiddenSize;
            return this;
        }

        public Builder layers(int layers) {
            this.layers = layers;
            return this;
        }

        public Builder ffnSize(int ffnSize) {
            this.ffnSize = ffnSize;
            return this;
        }

        public Builder heads(int heads) {
            this.heads = heads;
            return this;
        }

        public Builder kvHeads(int kvHeads) {
            this.kvHeads = kvHeads;
            return this;
        }

        public Builder headDim(int headDim) {
            this.headDim = headDim;
            return this;
        }

        public Builder rotaryDim(int rotaryDim) {
            this.rotaryDim = rotaryDim;
            return this;
        }

        public Builder vocabSize(int vocabSize) {
            this.vocabSize = vocabSize;
            return this;
        }

        public Builder contextLength(int contextLength) {
            this.contextLength = contextLength;
            return this;
        }

        public Builder rmsEps(float rmsEps) {
            this.rmsEps = rmsEps;
            return this;
        }

        public Builder ropeBase(double ropeBase) {
            this.ropeBase = ropeBase;
            return this;
        }

        /** Per-pair divisors of the RoPE frequencies, or null for none. */
        public Builder ropeFreqFactors(float[] ropeFreqFactors) {
            this.ropeFreqFactors = ropeFreqFactors;
            return this;
        }

        public Builder ropeLayout(RopeLayout ropeLayout) {
            this.ropeLayout = ropeLayout;
            return this;
        }

        /** Keys a query may see, itself included; 0 for full attention. */
        public Builder slidingWindow(int slidingWindow) {
            this.slidingWindow = slidingWindow;
            return this;
        }

        public Builder qkvBias(boolean qkvBias) {
            this.qkvBias = qkvBias;
            return this;
        }

        public DecoderConfig build() {
            int kv = kvHeads != null ? kvHeads : heads;
            int head = headDim != null ? headDim : heads > 0 ? hiddenSize / heads : 0;
            int rotary = rotaryDim != null ? rotaryDim : head;
            return new DecoderConfig(architecture, hiddenSize, layers, ffnSize, heads, kv, head, rotary, vocabSize,
                    contextLength, rmsEps, ropeBase, ropeFreqFactors, ropeLayout, slidingWindow, qkvBias, qkNorm);
        }
    }

    /** The configuration of any model file the decoder reads (GGUF, Hugging Face folder, llama2.c). */
    public static DecoderConfig of(ModelFile file) {
        return switch (file.format()) {
            case GGUF -> fromGguf(file.metadata(), file.tensor("rope_freqs.weight"), file.tensor("token_embd.weight"));
            case HF_FOLDER -> {
                try {
                    yield fromHf(HfConfig.read(file.path().resolve("config.json")));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            case LLAMA2C -> fromLlama2c(llama2c(file.metadata()));
            case SAFETENSORS -> throw new UnsupportedModelException("a " + file.format().displayName()
                    + " file alone does not describe a decoder; use a GGUF file, a Hugging Face folder "
                    + "(config.json + safetensors) or a llama2.c checkpoint");
        };
    }

    /**
     * From GGUF metadata (values as plain Java, as {@link ModelFile#metadata()} gives them);
     * {@code ropeFreqs} is the optional {@code rope_freqs.weight} tensor (Llama 3 scaling) and
     * {@code tokenEmbedding} the {@code token_embd.weight} tensor, whose rows give the vocabulary size.
     */
    public static DecoderConfig fromGguf(Map<String, Object> meta, Tensor ropeFreqs, Tensor tokenEmbedding) {
        Object a = meta.get("general.architecture");
        if (!(a instanceof String arch)) {
            throw new UnsupportedModelException("GGUF has no general.architecture; the decoder runs " + SUPPORTED_ARCHITECTURES);
        }
        if (!SUPPORTED_ARCHITECTURES.contains(arch)) {
            throw new UnsupportedModelException("GGUF architecture '" + arch + "' is not supported; the decoder runs "
                    + SUPPORTED_ARCHITECTURES);
        }
        String p = arch + ".";
        int hidden = requiredInt(meta, p + "embedding_length");
        int heads = requiredInt(meta, p + "attention.head_count");
        int headDim = optInt(meta, p + "attention.key_length", hidden / Math.max(1, heads));
        int valueLength = optInt(meta, p + "attention.value_length", headDim);
        if (valueLength != headDim) {
            throw new UnsupportedModelException(p + "attention.value_length " + valueLength + " differs from key_length "
                    + headDim + "; the decoder needs equal key and value head sizes");
        }
        int vocab = tokenEmbedding != null && tokenEmbedding.rank() == 2 ? Math.toIntExact(tokenEmbedding.dim(0))
                : vocabFromGguf(meta, p);
        float[] factors = null;
        int rotary = optInt(meta, p + "rope.dimension_count", headDim);
        if (ropeFreqs != null) {
            factors = Quantization.toF32(ropeFreqs).data().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
        }
        Object scalingType = meta.get(p + "rope.scaling.type");
        if (scalingType instanceof String st && !st.equals("none")) {
            if (!st.equals("linear")) {
                throw new UnsupportedModelException("GGUF " + p + "rope.scaling.type '" + st
                        + "' is not supported (supported: none, linear; Llama 3 scaling via rope_freqs.weight)");
            }
            float f = (float) optDouble(meta, p + "rope.scaling.factor", 1.0);
            if (factors == null) {
                factors = new float[rotary / 2];
                java.util.Arrays.fill(factors, 1f);
            }
            for (int i = 0; i < factors.length; i++) {
                factors[i] *= f;
            }
        }
        return builder(arch).hiddenSize(hidden).layers(requiredInt(meta, p + "block_count"))
                .ffnSize(requiredInt(meta, p + "feed_forward_length")).heads(heads)
                .kvHeads(optInt(meta, p + "attention.head_count_kv", heads)).headDim(headDim).rotaryDim(rotary)
                .vocabSize(vocab).contextLength(optInt(meta, p + "context_length", 2048))
                .rmsEps((float) optDouble(meta, p + "attention.layer_norm_rms_epsilon", 1e-5))
                .ropeBase(optDouble(meta, p + "rope.freq_base", 10000.0)).ropeFreqFactors(factors)
                .slidingWindow(optInt(meta, p + "attention.sliding_window", 0)).build();
    }

    /** From a Hugging Face config.json of one of {@link #SUPPORTED_HF}. */
    public static DecoderConfig fromHf(HfConfig hf) {
        String cls = hf.architectures().isEmpty() ? "" : hf.architectures().getFirst();
        String arch = switch (cls) {
            case "LlamaForCausalLM" -> "llama";
            case "MistralForCausalLM" -> "mistral";
            case "Qwen2ForCausalLM" -> "qwen2";
            case "Qwen3ForCausalLM" -> "qwen3";
            default -> throw new UnsupportedModelException(hf.file() + ": architectures " + hf.architectures()
                    + " is not supported; the decoder runs " + SUPPORTED_HF);
        };
        int hidden = need(hf, "hidden_size", hf.hiddenSize());
        int heads = need(hf, "num_attention_heads", hf.numAttentionHeads());
        var raw = hf.raw();
        int headDim = raw.path("head_dim").isInt() ? raw.get("head_dim").asInt() : hidden / heads;
        int window = 0;
        if (raw.path("sliding_window").isInt() && (arch.equals("mistral") || raw.path("use_sliding_window").asBoolean(false))) {
            window = raw.get("sliding_window").asInt();
        }
        float[] factors = hf.ropeScaling().map(s -> ropeScaling(hf, s, headDim, hf.ropeTheta().orElse(10000.0)))
                .orElse(null);
        double partial = raw.path("partial_rotary_factor").asDouble(1.0);
        int rotary = (int) Math.round(headDim * partial);
        boolean bias = arch.equals("qwen2") || raw.path("attention_bias").asBoolean(false);
        return builder(arch).hiddenSize(hidden).layers(need(hf, "num_hidden_layers", hf.numHiddenLayers()))
                .ffnSize(need(hf, "intermediate_size", hf.intermediateSize())).heads(heads)
                .kvHeads(hf.numKeyValueHeads().orElse(heads)).headDim(headDim).rotaryDim(rotary)
                .vocabSize(need(hf, "vocab_size", hf.vocabSize())).contextLength(hf.maxPositionEmbeddings().orElse(2048))
                .rmsEps((float) hf.rmsNormEps().orElse(1e-6)).ropeBase(hf.ropeTheta().orElse(10000.0))
                .ropeFreqFactors(factors).ropeLayout(RopeLayout.NEOX).slidingWindow(window).qkvBias(bias).build();
    }

    /** From a llama2.c header: interleaved RoPE over the whole head, theta 10000, epsilon 1e-5. */
    public static DecoderConfig fromLlama2c(Llama2cConfig c) {
        return builder("llama").hiddenSize(c.dim()).layers(c.nLayers()).ffnSize(c.hiddenDim()).heads(c.nHeads())
                .kvHeads(c.nKvHeads()).headDim(c.headSize()).vocabSize(c.vocabSize()).contextLength(c.seqLen()).build();
    }

    /**
     * Llama 3 rope scaling as per-pair frequency divisors: long wavelengths are slowed by
     * {@code factor}, short ones kept, and the band between blended linearly in 1/wavelength.
     */
    static float[] llama3FreqFactors(int rotaryDim, double base, double factor, double lowFreqFactor,
                                     double highFreqFactor, double originalContext) {
        float[] out = new float[rotaryDim / 2];
        double lowFreqWavelen = originalContext / lowFreqFactor;
        double highFreqWavelen = originalContext / highFreqFactor;
        for (int i = 0; i < out.length; i++) {
            double freq = Math.pow(base, -2.0 * i / rotaryDim);
            double wavelen = 2 * Math.PI / freq;
            double divisor;
            if (wavelen < highFreqWavelen) {
                divisor = 1;
            } else if (wavelen > lowFreqWavelen) {
                divisor = factor;
            } else {
                double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                divisor = 1 / ((1 - smooth) / factor + smooth);
            }
            out[i] = (float) divisor;
        }
        return out;
    }

    private static float[] ropeScaling(HfConfig hf, Map<String, Object> s, int headDim, double base) {
        Object type = s.containsKey("rope_type") ? s.get("rope_type") : s.get("type");
        String t = type == null ? "default" : type.toString().toLowerCase(Locale.ROOT);
        double factor = num(s.get("factor"), 1.0);
        return switch (t) {
            case "default" -> null;
            case "linear" -> {
                float[] f = new float[headDim / 2];
                java.util.Arrays.fill(f, (float) factor);
                yield f;
            }
            case "llama3" -> llama3FreqFactors(headDim, base, factor, num(s.get("low_freq_factor"), 1.0),
                    num(s.get("high_freq_factor"), 4.0), num(s.get("original_max_position_embeddings"), 8192));
            default -> throw new UnsupportedModelException(hf.file() + ": rope_scaling type '" + t
                    + "' is not supported (supported: default, linear, llama3)");
        };
    }

    private static double num(Object o, double fallback) {
        return o instanceof Number n ? n.doubleValue() : fallback;
    }

    private static int need(HfConfig hf, String field, java.util.OptionalInt v) {
        if (v.isEmpty()) {
            throw new UnsupportedModelException(hf.file() + ": config.json lacks " + field);
        }
        return v.getAsInt();
    }

    private static int vocabFromGguf(Map<String, Object> meta, String p) {
        Object v = meta.get(p + "vocab_size");
        if (v instanceof Number n) {
            return Math.toIntExact(n.longValue());
        }
        if (meta.get("tokenizer.ggml.tokens") instanceof List<?> tokens) {
            return tokens.size();
        }
        return 0; // taken from the embedding tensor by DecoderModel
    }

    private static Llama2cConfig llama2c(Map<String, Object> m) {
        return new Llama2cConfig(((Number) m.get("dim")).intValue(), ((Number) m.get("hidden_dim")).intValue(),
                ((Number) m.get("n_layers")).intValue(), ((Number) m.get("n_heads")).intValue(),
                ((Number) m.get("n_kv_heads")).intValue(), ((Number) m.get("vocab_size")).intValue(),
                ((Number) m.get("seq_len")).intValue(), Boolean.TRUE.equals(m.get("shared_classifier")));
    }

    private static int requiredInt(Map<String, Object> meta, String key) {
        Object v = meta.get(key);
        if (!(v instanceof Number n)) {
            throw new UnsupportedModelException("GGUF metadata lacks " + key + (v == null ? "" : " (found " + v + ")"));
        }
        return toInt(key, n);
    }

    private static int optInt(Map<String, Object> meta, String key, int fallback) {
        return meta.get(key) instanceof Number n ? toInt(key, n) : fallback;
    }

    private static double optDouble(Map<String, Object> meta, String key, double fallback) {
        return meta.get(key) instanceof Number n ? n.doubleValue() : fallback;
    }

    private static int toInt(String key, Number n) {
        long v = n.longValue();
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw new UnsupportedModelException("GGUF " + key + " = " + v + " is out of range");
        }
        return (int) v;
    }

    private static void positive(String what, int v) {
        if (v <= 0) {
            throw new UnsupportedModelException(what + " must be positive, was " + v);
        }
    }

}
