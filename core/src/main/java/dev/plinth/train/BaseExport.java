package dev.plinth.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.io.AtomicFiles;
import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufType;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.safetensors.SafetensorsWriter;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.GgufLayout;
import dev.plinth.model.UnsupportedModelException;
import dev.plinth.model.convert.GgufQuantizer;
import dev.plinth.model.convert.ModelConverter;
import dev.plinth.model.convert.QuantType;
import dev.plinth.tensor.Tensor;
import dev.plinth.tensor.autograd.Variable;
import dev.plinth.text.ChatMl;
import dev.plinth.text.GgufTokenizerMetadata;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a base (a {@link TrainableDecoder} with its {@code tokenizer.json}) in the formats every
 * other tool reads:
 * <ul>
 *   <li>{@link #writeGguf}: one GGUF file llama.cpp and Plinth load: {@code general.architecture}
 *       and llama.cpp's hyperparameter keys, the tokenizer as {@code tokenizer.ggml.*} metadata
 *       ({@link GgufTokenizerMetadata}), {@link ChatMl#TEMPLATE} as {@code tokenizer.chat_template},
 *       weight matrices typed as llama-quantize types them for the chosen {@link QuantType}.</li>
 *   <li>{@link #writeHuggingFace}: a folder transformers loads as {@code LlamaForCausalLM}:
 *       {@code config.json}, {@code model.safetensors} (F32, Hugging Face tensor names, q/k rows in
 *       the rotate-half RoPE layout), the {@code tokenizer.json} and a {@code tokenizer_config.json}
 *       with the special tokens and the same chat template.</li>
 * </ul>
 * Special tokens: the end-of-text token is the one the tokenizer names (a post-processor or a
 * {@code tokenizer_config.json} next to it), else its first special added token ({@link
 * dev.plinth.text.BpeTrainer}'s convention); the beginning-of-text token is the tokenizer's, else the
 * end-of-text token (as GPT-2 does), added only where the tokenizer's post-processor adds it.
 * Both writes are atomic: the GGUF file is renamed into place once complete; the folder is built
 * beside its target and renamed into place ({@link AtomicFiles#writeFolder}), replacing an earlier export.
 */
public final class BaseExport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** llama.cpp's token type for vocabulary rows no tokenizer entry names. */
    private static final int UNUSED_TOKEN = 5;

    private BaseExport() {
    }

    /**
     * Writes {@code base} and its {@code tokenizerJson} as the GGUF file {@code out}, its matrices in
     * {@code type} (f32 keeps the trained weights exactly; f16 halves the file).
     */
    public static void writeGguf(TrainableDecoder base, Path tokenizerJson, Path out, QuantType type)
            throws IOException {
        DecoderConfig c = base.config();
        Specials specials = Specials.of(tokenizerJson, c.vocabSize());
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        String arch = GgufLayout.ggufArchitecture(c);
        meta.put("general.architecture", GgufValue.of(arch));
        meta.put("general.name", GgufValue.of(stem(out)));
        meta.putAll(ModelConverter.hyperparameters(c));
        if (c.slidingWindow() > 0) {
            meta.put(arch + ".attention.sliding_window", GgufValue.ofUint32(c.slidingWindow()));
        }
        meta.putAll(tokenizerMetadata(tokenizerJson, c.vocabSize(), specials));
        meta.put("tokenizer.chat_template", GgufValue.of(ChatMl.TEMPLATE));
        List<Tensor> tensors = new ArrayList<>();
        for (Variable p : base.parameters().values()) {
            tensors.add(tensor(p.name(), p));
        }
        float[] factors = c.ropeFreqFactors();
        if (factors != null) {
            tensors.add(Tensor.ofFloats("rope_freqs.weight", factors, factors.length));
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        GgufQuantizer.write(meta, tensors, out, type, GgufQuantizer.Listener.NONE);
    }

    /**
     * Writes {@code base} and its {@code tokenizerJson} as the Hugging Face folder {@code dir}
     * (created; an earlier export there is replaced). Llama architecture only, RoPE over whole heads
     * without frequency scaling and without a sliding window.
     */
    public static void writeHuggingFace(TrainableDecoder base, Path tokenizerJson, Path dir) throws IOException {
        DecoderConfig c = base.config();
        if (!c.architecture().equals("llama") || c.rotaryDim() != c.headDim() || c.ropeFreqFactors() != null
                || c.slidingWindow() > 0) {
            throw new UnsupportedModelException("a Hugging Face export is written for llama bases with RoPE over "
                    + "whole heads, unscaled, without a sliding window; this base is " + c.architecture() + " (rotary "
                    + c.rotaryDim() + " of " + c.headDim() + ", scaled " + (c.ropeFreqFactors() != null)
                    + ", window " + c.slidingWindow() + "); export it to GGUF");
        }
        Specials specials = Specials.of(tokenizerJson, c.vocabSize());
        AtomicFiles.writeFolder(dir, "config.json", staging -> {
            SafetensorsWriter.write(staging.resolve("model.safetensors"), hfTensors(base), Map.of("format", "pt"));
            writeJson(staging.resolve("config.json"),
                    ModelConverter.hfConfig(c, base.tiedEmbeddings(), specials.bos(), specials.eos()));
            writeJson(staging.resolve("tokenizer_config.json"), tokenizerConfig(c, specials));
            byte[] tokenizer = Files.readAllBytes(tokenizerJson);
            AtomicFiles.write(staging.resolve("tokenizer.json"), ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(tokenizer)));
        });
    }

    /** Tokenizer metadata with the special tokens decided here and the vocabulary padded to the model's rows. */
    private static Map<String, GgufValue> tokenizerMetadata(Path tokenizerJson, int vocab, Specials s)
            throws IOException {
        Map<String, GgufValue> meta = new LinkedHashMap<>(GgufTokenizerMetadata.fromTokenizerJson(tokenizerJson, null));
        padded(meta, "tokenizer.ggml.tokens", GgufType.STRING, vocab, i -> "[PAD" + i + "]");
        padded(meta, "tokenizer.ggml.token_type", GgufType.INT32, vocab, i -> UNUSED_TOKEN);
        padded(meta, "tokenizer.ggml.scores", GgufType.FLOAT32, vocab, i -> -1000f);
        meta.put("tokenizer.ggml.bos_token_id", GgufValue.ofUint32(s.bos()));
        meta.put("tokenizer.ggml.eos_token_id", GgufValue.ofUint32(s.eos()));
        meta.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(s.addBos()));
        meta.put("tokenizer.ggml.add_eos_token", GgufValue.ofBool(s.addEos()));
        return meta;
    }

    /**
     * Rows of the embedding beyond the tokenizer's entries (a vocabulary padded for speed) get
     * placeholder tokens, as llama.cpp's converter writes them: llama.cpp wants one token per row.
     */
    private static void padded(Map<String, GgufValue> meta, String key, GgufType type, int vocab,
                               java.util.function.IntFunction<Object> filler) {
        if (!(meta.get(key) instanceof GgufValue v) || !(v.value() instanceof GgufValue.GgufArray array)) {
            return;
        }
        List<Object> list = array.elements();
        if (list.size() == vocab) {
            return;
        }
        List<Object> out = new ArrayList<>(list);
        for (int i = list.size(); i < vocab; i++) {
            out.add(filler.apply(i));
        }
        meta.put(key, GgufValue.ofArray(type, out));
    }

    private static List<Tensor> hfTensors(TrainableDecoder base) {
        List<Tensor> gguf = new ArrayList<>();
        for (Variable p : base.parameters().values()) {
            gguf.add(tensor(p.name(), p));
        }
        return ModelConverter.toHuggingFace(base.config(), gguf);
    }

    private static ObjectNode tokenizerConfig(DecoderConfig c, Specials s) {
        ObjectNode n = JSON.createObjectNode();
        n.put("add_bos_token", s.addBos());
        n.put("add_eos_token", s.addEos());
        n.put("bos_token", s.bosText());
        n.put("eos_token", s.eosText());
        n.putNull("unk_token");
        n.putNull("pad_token");
        n.put("clean_up_tokenization_spaces", false);
        n.put("model_max_length", c.contextLength());
        n.put("tokenizer_class", "PreTrainedTokenizerFast");
        n.put("chat_template", ChatMl.TEMPLATE);
        return n;
    }

    /** The special tokens of an export (see the class comment). */
    private record Specials(int bos, int eos, String bosText, String eosText, boolean addBos, boolean addEos) {
        static Specials of(Path tokenizerJson, int modelVocab) throws IOException {
            Tokenizer t = Tokenizers.fromTokenizerJson(tokenizerJson);
            if (t.vocabSize() > modelVocab) {
                throw new UnsupportedModelException(tokenizerJson + " has " + t.vocabSize()
                        + " tokens but the base's embedding has " + modelVocab + " rows");
            }
            int eos = t.eosId() >= 0 ? t.eosId() : firstSpecial(tokenizerJson);
            if (eos < 0) {
                throw new ModelFormatException(tokenizerJson, "added_tokens", -1, "names no end-of-text token: "
                        + "train the tokenizer with a special token (e.g. <|endoftext|>) or give it a post-processor");
            }
            int bos = t.bosId() >= 0 ? t.bosId() : eos;
            int[] with = t.encode("a", true, false);
            int[] without = t.encode("a", false, false);
            boolean addBos = with.length > without.length && with[0] == bos;
            boolean addEos = with.length > without.length && with[with.length - 1] == eos;
            return new Specials(bos, eos, t.piece(bos), t.piece(eos), addBos, addEos);
        }

        private static int firstSpecial(Path tokenizerJson) throws IOException {
            JsonNode root = JSON.readTree(tokenizerJson.toFile());
            int best = -1;
            for (JsonNode a : root.path("added_tokens")) {
                int id = a.path("id").asInt(-1);
                if (a.path("special").asBoolean(false) && id >= 0 && (best < 0 || id < best)) {
                    best = id;
                }
            }
            return best;
        }
    }

    private static Tensor tensor(String name, Variable p) {
        long[] shape = Arrays.stream(p.shape()).asLongStream().toArray();
        return Tensor.ofFloats(name, p.data(), shape);
    }

    private static void writeJson(Path file, JsonNode node) throws IOException {
        byte[] bytes = (JSON.writeValueAsString(node) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        AtomicFiles.write(file, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    private static String stem(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }
}
