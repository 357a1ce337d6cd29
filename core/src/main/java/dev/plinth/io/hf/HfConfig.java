package dev.plinth.io.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.io.ModelFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * A Hugging Face {@code config.json}. The common fields have typed accessors, empty when the key is
 * absent or null; GPT-2's names ({@code n_embd}, {@code n_layer}, {@code n_head},
 * {@code n_positions}, {@code n_inner}, {@code layer_norm_epsilon}) answer for the usual ones.
 * Types are checked when the file is read: a known field of the wrong type is a
 * {@link ModelFormatException} naming the key and its byte offset. Everything else stays in
 * {@link #raw()} / {@link #asMap()}. No defaults are invented here: a model family that defaults
 * {@code num_key_value_heads} to {@code num_attention_heads} does so in its own code.
 */
public final class HfConfig {

    private static final String[][] INT_FIELDS = {
            {"hidden_size", "n_embd"}, {"num_hidden_layers", "n_layer"}, {"num_attention_heads", "n_head"},
            {"num_key_value_heads"}, {"intermediate_size", "n_inner"}, {"vocab_size"},
            {"max_position_embeddings", "n_positions"}};
    private static final String[][] DOUBLE_FIELDS = {{"rms_norm_eps"}, {"layer_norm_eps", "layer_norm_epsilon"}, {"rope_theta"}};

    private final Path file;
    private final ObjectNode root;

    private HfConfig(HfJson.Parsed parsed) throws ModelFormatException {
        this.file = parsed.file();
        this.root = parsed.root();
        validate(parsed);
    }

    public static HfConfig read(Path configJson) throws IOException {
        return new HfConfig(HfJson.read(configJson));
    }

    /** Parses {@code json} as if read from {@code source} (used in messages). */
    public static HfConfig parse(Path source, byte[] json) throws ModelFormatException {
        return new HfConfig(HfJson.parse(source, json));
    }

    private void validate(HfJson.Parsed p) throws ModelFormatException {
        for (String[] names : INT_FIELDS) {
            for (String k : names) {
                JsonNode v = present(k);
                if (v != null && !(v.isIntegralNumber() && v.canConvertToInt() && v.intValue() >= 0)) {
                    throw p.wrongType(k, "a non-negative 32-bit integer");
                }
            }
        }
        for (String[] names : DOUBLE_FIELDS) {
            for (String k : names) {
                JsonNode v = present(k);
                if (v != null && !v.isNumber()) {
                    throw p.wrongType(k, "a number");
                }
            }
        }
        for (String k : List.of("model_type", "torch_dtype", "dtype")) {
            JsonNode v = present(k);
            if (v != null && !v.isTextual()) {
                throw p.wrongType(k, "a string");
            }
        }
        JsonNode arch = present("architectures");
        if (arch != null && !(arch.isArray() && allTextual(arch))) {
            throw p.wrongType("architectures", "an array of strings");
        }
        JsonNode tie = present("tie_word_embeddings");
        if (tie != null && !tie.isBoolean()) {
            throw p.wrongType("tie_word_embeddings", "true or false");
        }
        JsonNode rope = present("rope_scaling");
        if (rope != null && !rope.isObject()) {
            throw p.wrongType("rope_scaling", "an object");
        }
    }

    private static boolean allTextual(JsonNode array) {
        for (JsonNode e : array) {
            if (!e.isTextual()) {
                return false;
            }
        }
        return true;
    }

    /** The value of {@code key}, or null when absent or JSON null. */
    private JsonNode present(String key) {
        JsonNode v = root.get(key);
        return v == null || v.isNull() ? null : v;
    }

    private OptionalInt intField(String... names) {
        for (String k : names) {
            JsonNode v = present(k);
            if (v != null) {
                return OptionalInt.of(v.intValue());
            }
        }
        return OptionalInt.empty();
    }

    private OptionalDouble doubleField(String... names) {
        for (String k : names) {
            JsonNode v = present(k);
            if (v != null) {
                return OptionalDouble.of(v.doubleValue());
            }
        }
        return OptionalDouble.empty();
    }

    public Path file() {
        return file;
    }

    public Optional<String> modelType() {
        return Optional.ofNullable(present("model_type")).map(JsonNode::textValue);
    }

    public List<String> architectures() {
        List<String> out = new ArrayList<>();
        JsonNode a = present("architectures");
        if (a != null) {
            a.forEach(e -> out.add(e.textValue()));
        }
        return List.copyOf(out);
    }

    /** {@code hidden_size}, or GPT-2's {@code n_embd}. */
    public OptionalInt hiddenSize() {
        return intField("hidden_size", "n_embd");
    }

    /** {@code num_hidden_layers}, or GPT-2's {@code n_layer}. */
    public OptionalInt numHiddenLayers() {
        return intField("num_hidden_layers", "n_layer");
    }

    /** {@code num_attention_heads}, or GPT-2's {@code n_head}. */
    public OptionalInt numAttentionHeads() {
        return intField("num_attention_heads", "n_head");
    }

    public OptionalInt numKeyValueHeads() {
        return intField("num_key_value_heads");
    }

    /** {@code intermediate_size}, or GPT-2's {@code n_inner} (null there means 4 * n_embd). */
    public OptionalInt intermediateSize() {
        return intField("intermediate_size", "n_inner");
    }

    public OptionalInt vocabSize() {
        return intField("vocab_size");
    }

    /** {@code max_position_embeddings}, or GPT-2's {@code n_positions}. */
    public OptionalInt maxPositionEmbeddings() {
        return intField("max_position_embeddings", "n_positions");
    }

    public OptionalDouble rmsNormEps() {
        return doubleField("rms_norm_eps");
    }

    /** {@code layer_norm_eps}, or GPT-2's {@code layer_norm_epsilon}. */
    public OptionalDouble layerNormEps() {
        return doubleField("layer_norm_eps", "layer_norm_epsilon");
    }

    public OptionalDouble ropeTheta() {
        return doubleField("rope_theta");
    }

    /** The {@code rope_scaling} object (e.g. {@code {"type": "linear", "factor": 2.0}}) as plain Java. */
    @SuppressWarnings("unchecked")
    public Optional<Map<String, Object>> ropeScaling() {
        return Optional.ofNullable(present("rope_scaling")).map(n -> (Map<String, Object>) HfJson.toJava(n));
    }

    public Optional<Boolean> tieWordEmbeddings() {
        return Optional.ofNullable(present("tie_word_embeddings")).map(JsonNode::booleanValue);
    }

    /** {@code torch_dtype}, or {@code dtype} as newer transformers write it. */
    public Optional<String> torchDtype() {
        JsonNode v = present("torch_dtype");
        if (v == null) {
            v = present("dtype");
        }
        return Optional.ofNullable(v).map(JsonNode::textValue);
    }

    /** The whole file as a Jackson tree (a copy; edits do not affect this config). */
    public ObjectNode raw() {
        return root.deepCopy();
    }

    /** The whole file as plain Java values, keys in file order. */
    public Map<String, Object> asMap() {
        return HfJson.toJavaMap(root);
    }
}
