package dev.plinth.model.convert;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.io.gguf.GgufType;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.hf.HfConfig;
import dev.plinth.io.hf.TokenizerConfig;
import dev.plinth.io.llama2c.Llama2cVocabulary;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.GgufLayout;
import dev.plinth.model.UnsupportedModelException;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import dev.plinth.text.GgufTokenizerMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Writes any decoder model Plinth reads as a GGUF file llama.cpp loads, with the tensor types
 * {@code llama-quantize} would choose for a {@link QuantType}:
 * <ul>
 *   <li>GGUF: re-typed ({@link GgufQuantizer});
 *   <li>Hugging Face folder (llama, mistral, qwen2, qwen3): tensors renamed to llama.cpp's names,
 *       q/k rows of llama and mistral permuted from the rotate-half layout back to interleaved
 *       pairs as llama.cpp's convert_hf_to_gguf.py does (qwen2/qwen3 run NeoX RoPE and stay),
 *       1-D tensors as F32, hyperparameters and the chat template as llama.cpp's metadata keys,
 *       and the vocabulary of its tokenizer.json ({@link GgufTokenizerMetadata}) when it has one
 *       (without one, {@code tokenizer.ggml.model} is {@code none});
 *   <li>llama2.c checkpoint with its tokenizer {@code .bin}: the metadata llama.cpp's
 *       convert-llama2c-to-ggml writes, SentencePiece vocabulary included, and an output matrix
 *       even when the checkpoint shares it with the embedding.
 * </ul>
 */
public final class ModelConverter {
    private ModelConverter() {
    }

    /**
     * Converts {@code in} (GGUF file, Hugging Face folder or llama2.c {@code .bin}) to {@code out};
     * {@code tokenizer} is the llama2.c tokenizer {@code .bin} (null otherwise).
     */
    public static void convert(Path in, Path tokenizer, Path out, QuantType type, GgufQuantizer.Listener listener)
            throws IOException {
        convert(in, tokenizer, out, type, UnaryOperator.identity(), listener);
    }

    /**
     * {@link #convert(Path, Path, Path, QuantType, GgufQuantizer.Listener)} with every tensor passed
     * through {@code transform} before it is typed: it receives each tensor under its llama.cpp name,
     * rows in llama.cpp's order, in the dtype it is stored in.
     */
    public static void convert(Path in, Path tokenizer, Path out, QuantType type, UnaryOperator<Tensor> transform,
                               GgufQuantizer.Listener listener) throws IOException {
        if (!Files.isDirectory(in) && isGguf(in)) {
            if (tokenizer != null) {
                throw new IllegalArgumentException("a separate tokenizer applies to llama2.c checkpoints only");
            }
            GgufQuantizer.quantize(in, out, type, transform, listener);
            return;
        }
        try (ModelFile model = ModelFiles.open(in, tokenizer)) {
            GgufQuantizer.Model m = switch (model.format()) {
                case HF_FOLDER -> fromHf(model);
                case LLAMA2C -> fromLlama2c(model, tokenizer);
                case GGUF, SAFETENSORS -> throw new IllegalArgumentException(in + ": a " + model.format().displayName()
                        + " file alone does not describe a model; give its Hugging Face folder");
            };
            GgufQuantizer.write(m.map(transform), out, type, listener);
        }
    }

    /** The GGUF type that keeps a Hugging Face model's matrices as they are stored: F32, F16 or BF16. */
    public static QuantType keptType(Path folder) throws IOException {
        try (ModelFile model = ModelFiles.open(folder)) {
            for (ModelFile.TensorInfo t : model.tensorInfos()) {
                if (t.shape().length == 2 && t.dtype() == DType.BF16) {
                    return QuantType.BF16;
                }
                if (t.shape().length == 2 && t.dtype() == DType.F16) {
                    return QuantType.F16;
                }
            }
        }
        return QuantType.F32;
    }

    private static boolean isGguf(Path p) throws IOException {
        try (var s = Files.newInputStream(p)) {
            byte[] head = s.readNBytes(4);
            return head.length == 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F';
        }
    }

    static GgufQuantizer.Model fromLlama2c(ModelFile model, Path tokenizer) throws IOException {
        if (tokenizer == null) {
            throw new IllegalArgumentException(model.path() + ": a llama2.c checkpoint needs its tokenizer .bin "
                    + "(--tokenizer) to become a GGUF llama.cpp loads");
        }
        DecoderConfig c = DecoderConfig.of(model);
        Llama2cVocabulary vocab = Llama2cVocabulary.read(tokenizer, c.vocabSize());
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        List<String> tokens = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        for (int i = 0; i < vocab.size(); i++) {
            String piece = vocab.piece(i);
            tokens.add(switch (i) {
                // tok.bin spells bos/eos "\n<s>\n", "\n</s>\n"; llama.cpp's converter writes the plain names
                case 0 -> "<unk>";
                case 1 -> "<s>";
                case 2 -> "</s>";
                default -> piece.replace(' ', '\u2581');
            });
            scores.add(vocab.score(i));
            types.add(spmTokenType(i, piece));
        }
        meta.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufType.STRING, tokens));
        meta.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufType.FLOAT32, scores));
        meta.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufType.INT32, types));
        meta.put("tokenizer.ggml.model", GgufValue.of("llama"));
        meta.put("general.architecture", GgufValue.of("llama"));
        meta.put("general.name", GgufValue.of("llama"));
        meta.put("tokenizer.ggml.unknown_token_id", GgufValue.ofUint32(0));
        meta.put("tokenizer.ggml.bos_token_id", GgufValue.ofUint32(1));
        meta.put("tokenizer.ggml.eos_token_id", GgufValue.ofUint32(2));
        meta.put("llama.context_length", GgufValue.ofUint32(c.contextLength()));
        meta.put("llama.embedding_length", GgufValue.ofUint32(c.hiddenSize()));
        meta.put("llama.feed_forward_length", GgufValue.ofUint32(c.ffnSize()));
        meta.put("llama.attention.head_count", GgufValue.ofUint32(c.heads()));
        meta.put("llama.attention.head_count_kv", GgufValue.ofUint32(c.kvHeads()));
        meta.put("llama.block_count", GgufValue.ofUint32(c.layers()));
        meta.put("llama.rope.dimension_count", GgufValue.ofUint32(c.headDim()));
        meta.put("llama.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(c.rmsEps()));
        Map<String, String> names = new LinkedHashMap<>();
        for (ModelFile.TensorInfo t : model.tensorInfos()) {
            if (!t.name().startsWith("freq_cis")) {
                names.put(t.name(), t.name());
            }
        }
        names.putIfAbsent("output.weight", "token_embd.weight"); // shared classifier: llama.cpp writes a copy
        return model(meta, names, model, Function.identity());
    }

    /** llama.cpp's token types for a SentencePiece vocabulary: unknown, control, byte, normal. */
    private static int spmTokenType(int id, String piece) {
        if (id == 0) {
            return 2;
        }
        if (id == 1 || id == 2) {
            return 3;
        }
        if (piece.isEmpty()) {
            return 3;
        }
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            return 6;
        }
        return 1;
    }

    static GgufQuantizer.Model fromHf(ModelFile model) throws IOException {
        HfConfig hf = HfConfig.read(model.path().resolve("config.json"));
        DecoderConfig c = DecoderConfig.fromHf(hf);
        String arch = GgufLayout.ggufArchitecture(c);
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put("general.architecture", GgufValue.of(arch));
        meta.put("general.name", GgufValue.of(model.path().toAbsolutePath().getFileName().toString()));
        meta.putAll(hyperparameters(c));
        Path tc = model.path().resolve("tokenizer_config.json");
        if (Files.isRegularFile(tc)) {
            TokenizerConfig t = TokenizerConfig.read(tc);
            t.chatTemplate().ifPresent(s -> meta.put("tokenizer.chat_template", GgufValue.of(s)));
        }
        Path tokenizerJson = model.path().resolve("tokenizer.json");
        if (Files.isRegularFile(tokenizerJson)) {
            meta.putAll(GgufTokenizerMetadata.fromTokenizerJson(tokenizerJson));
        }
        if (!meta.containsKey("tokenizer.ggml.model")) {
            meta.put("tokenizer.ggml.model", GgufValue.of("none"));
        }
        Map<String, String> names = new LinkedHashMap<>();
        Map<String, String> hfNames = GgufLayout.hfNames(c.layers());
        for (ModelFile.TensorInfo t : model.tensorInfos()) {
            String g = hfNames.get(t.name());
            if (g == null) {
                if (t.name().endsWith("rotary_emb.inv_freq")) {
                    continue;
                }
                throw new IllegalArgumentException(model.path() + ": tensor '" + t.name()
                        + "' has no llama.cpp name for architecture " + c.architecture());
            }
            names.put(g, t.name());
        }
        if (c.ropeFreqFactors() != null) {
            throw new IllegalArgumentException(model.path() + ": RoPE scaling (rope_freqs) is not converted yet");
        }
        return model(meta, names, model, t -> GgufLayout.toGgufRows(c, t.name(), t));
    }

    /**
     * {@code c} as llama.cpp's {@code <arch>.*} hyperparameter keys (block count, context, widths,
     * heads, RoPE base and dimensions, RMS epsilon, head sizes when not hidden / heads, vocabulary
     * size) as convert_hf_to_gguf.py writes them; {@code general.architecture} is the caller's.
     */
    public static Map<String, GgufValue> hyperparameters(DecoderConfig c) {
        String p = GgufLayout.ggufArchitecture(c) + ".";
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put(p + "block_count", GgufValue.ofUint32(c.layers()));
        meta.put(p + "context_length", GgufValue.ofUint32(c.contextLength()));
        meta.put(p + "embedding_length", GgufValue.ofUint32(c.hiddenSize()));
        meta.put(p + "feed_forward_length", GgufValue.ofUint32(c.ffnSize()));
        meta.put(p + "attention.head_count", GgufValue.ofUint32(c.heads()));
        meta.put(p + "attention.head_count_kv", GgufValue.ofUint32(c.kvHeads()));
        meta.put(p + "rope.freq_base", GgufValue.ofFloat32((float) c.ropeBase()));
        meta.put(p + "attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(c.rmsEps()));
        meta.put(p + "rope.dimension_count", GgufValue.ofUint32(c.rotaryDim()));
        if (c.headDim() * c.heads() != c.hiddenSize()) {
            meta.put(p + "attention.key_length", GgufValue.ofUint32(c.headDim()));
            meta.put(p + "attention.value_length", GgufValue.ofUint32(c.headDim()));
        }
        meta.put(p + "vocab_size", GgufValue.ofUint32(c.vocabSize()));
        return meta;
    }

    private static GgufQuantizer.Model model(Map<String, GgufValue> meta, Map<String, String> names, ModelFile model,
                                             Function<Tensor, Tensor> fix) {
        Map<String, ModelFile.TensorInfo> infos = new HashMap<>();
        model.tensorInfos().forEach(t -> infos.put(t.name(), t));
        List<TypeRules.Source> sources = new ArrayList<>();
        names.forEach((gguf, src) -> {
            ModelFile.TensorInfo t = infos.get(src);
            DType type = t.shape().length < 2 ? DType.F32 : t.dtype();
            sources.add(new TypeRules.Source(gguf, type, t.shape()));
        });
        Function<String, Tensor> reader = gguf -> {
            Tensor t = model.tensor(names.get(gguf));
            Tensor renamed = new Tensor(gguf, t.dtype(), t.shape(), t.data());
            if (t.rank() < 2 && t.dtype() != DType.F32) {
                renamed = Quantization.toF32(renamed);
            }
            return fix.apply(renamed);
        };
        return new GgufQuantizer.Model(3, meta, sources, reader);
    }

    /**
     * {@code c} as the {@code config.json} transformers reads ({@code LlamaForCausalLM},
     * {@code MistralForCausalLM}, {@code Qwen2ForCausalLM} or {@code Qwen3ForCausalLM}), with the
     * given special token ids. RoPE frequency factors, partial rotation and sliding windows are not
     * written: a configuration with one of them is refused.
     */
    public static ObjectNode hfConfig(DecoderConfig c, boolean tiedEmbeddings, int bosId, int eosId) {
        if (c.ropeFreqFactors() != null || c.rotaryDim() != c.headDim() || c.slidingWindow() > 0) {
            throw new UnsupportedModelException("config.json is written for RoPE over whole heads, unscaled, without "
                    + "a sliding window; this model has rotary " + c.rotaryDim() + " of " + c.headDim() + ", scaled "
                    + (c.ropeFreqFactors() != null) + ", window " + c.slidingWindow());
        }
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.putArray("architectures").add(hfClass(c.architecture()));
        n.put("model_type", c.architecture());
        n.put("hidden_size", c.hiddenSize());
        n.put("intermediate_size", c.ffnSize());
        n.put("num_hidden_layers", c.layers());
        n.put("num_attention_heads", c.heads());
        n.put("num_key_value_heads", c.kvHeads());
        n.put("head_dim", c.headDim());
        n.put("hidden_act", "silu");
        n.put("max_position_embeddings", c.contextLength());
        n.put("rms_norm_eps", c.rmsEps());
        n.put("rope_theta", c.ropeBase());
        n.putNull("rope_scaling");
        n.put("attention_bias", c.qkvBias());
        n.put("attention_dropout", 0.0);
        n.put("mlp_bias", false);
        n.put("tie_word_embeddings", tiedEmbeddings);
        n.put("vocab_size", c.vocabSize());
        n.put("bos_token_id", bosId);
        n.put("eos_token_id", eosId);
        n.put("initializer_range", 0.02);
        n.put("pretraining_tp", 1);
        n.put("use_cache", true);
        n.put("torch_dtype", "float32");
        return n;
    }

    private static String hfClass(String architecture) {
        return switch (architecture) {
            case "mistral" -> "MistralForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            case "qwen3" -> "Qwen3ForCausalLM";
            default -> "LlamaForCausalLM";
        };
    }

    /**
     * Tensors under llama.cpp's names as transformers loads them for {@code c}: renamed
     * ({@link GgufLayout#hfNames}), and the q/k rows of llama and mistral put back in the rotate-half layout.
     */
    public static List<Tensor> toHuggingFace(DecoderConfig c, List<Tensor> ggufTensors) {
        Map<String, String> toHf = new HashMap<>();
        GgufLayout.hfNames(c.layers()).forEach((hf, gguf) -> toHf.put(gguf, hf));
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : ggufTensors) {
            String hf = toHf.get(t.name());
            if (hf == null) {
                throw new UnsupportedModelException("tensor " + t.name() + " has no Hugging Face name");
            }
            t = GgufLayout.toHfRows(c, t.name(), t);
            out.add(new Tensor(hf, t.dtype(), t.shape(), t.data()));
        }
        return out;
    }
}
