package dev.plinth.io.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.io.ModelFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A Hugging Face {@code tokenizer_config.json}: chat templates, special tokens and the flags that
 * say whether BOS/EOS are added. Types are checked when the file is read.
 *
 * <p>{@code chat_template} is either one string or a list of {@code {"name", "template"}}
 * objects; both are offered as {@link #chatTemplates()} (a lone string is named
 * {@code "default"}). When the file has none, a {@code chat_template.jinja} next to it is used, as
 * newer transformers save it there. Special tokens are either a plain string or an AddedToken
 * object ({@code {"__type": "AddedToken", "content": ..., "lstrip": ..., ...}}).
 */
public final class TokenizerConfig {

    public static final String DEFAULT_TEMPLATE = "default";
    static final String JINJA_FILE = "chat_template.jinja";

    /**
     * A special token. From a plain string: that content, all flags false except {@code special}.
     * {@code normalized} and {@code special} default as in the tokenizers library when absent.
     */
    public record AddedToken(String content, boolean lstrip, boolean rstrip, boolean normalized, boolean singleWord,
                             boolean special) {
    }

    private final Path file;
    private final ObjectNode root;
    private final Map<String, String> chatTemplates;
    private final Map<String, AddedToken> specialTokens = new LinkedHashMap<>();
    private final Map<Integer, AddedToken> addedTokensDecoder = new LinkedHashMap<>();

    private TokenizerConfig(HfJson.Parsed p, String jinja) throws ModelFormatException {
        this.file = p.file();
        this.root = p.root();
        this.chatTemplates = Collections.unmodifiableMap(parseTemplates(p, jinja));
        for (String k : new String[] {"bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"}) {
            JsonNode v = present(k);
            if (v != null) {
                specialTokens.put(k, addedToken(p, k, v));
            }
        }
        for (String k : new String[] {"add_bos_token", "add_eos_token"}) {
            JsonNode v = present(k);
            if (v != null && !v.isBoolean()) {
                throw p.wrongType(k, "true or false");
            }
        }
        JsonNode max = present("model_max_length");
        if (max != null && !(max.isNumber() && max.doubleValue() >= 0)) {
            throw p.wrongType("model_max_length", "a non-negative number");
        }
        JsonNode decoder = present("added_tokens_decoder");
        if (decoder != null) {
            if (!decoder.isObject()) {
                throw p.wrongType("added_tokens_decoder", "an object {id: AddedToken}");
            }
            for (var e : decoder.properties()) {
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw new ModelFormatException(file, "added_tokens_decoder." + e.getKey(), p.offset("added_tokens_decoder"),
                            "key must be a token id");
                }
                if (id < 0 || !e.getValue().isObject()) {
                    throw new ModelFormatException(file, "added_tokens_decoder." + e.getKey(), p.offset("added_tokens_decoder"),
                            "must map a non-negative id to an AddedToken object");
                }
                addedTokensDecoder.put(id, addedToken(p, "added_tokens_decoder." + id, e.getValue()));
            }
        }
    }

    /** Reads {@code tokenizerConfigJson} and, when it has no chat template, a sibling {@code chat_template.jinja}. */
    public static TokenizerConfig read(Path tokenizerConfigJson) throws IOException {
        HfJson.Parsed p = HfJson.read(tokenizerConfigJson);
        String jinja = null;
        Path dir = tokenizerConfigJson.toAbsolutePath().getParent();
        Path jinjaFile = dir == null ? null : dir.resolve(JINJA_FILE);
        if (!p.root().hasNonNull("chat_template") && jinjaFile != null && Files.isRegularFile(jinjaFile)) {
            if (Files.size(jinjaFile) > HfJson.MAX_BYTES) {
                throw new ModelFormatException(jinjaFile, null, 0, "template file over " + HfJson.MAX_BYTES + " bytes");
            }
            jinja = Files.readString(jinjaFile, StandardCharsets.UTF_8);
        }
        return new TokenizerConfig(p, jinja);
    }

    /** Parses {@code json} as if read from {@code source}. */
    public static TokenizerConfig parse(Path source, byte[] json) throws ModelFormatException {
        return new TokenizerConfig(HfJson.parse(source, json), null);
    }

    private Map<String, String> parseTemplates(HfJson.Parsed p, String jinja) throws ModelFormatException {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode t = present("chat_template");
        if (t == null) {
            if (jinja != null) {
                out.put(DEFAULT_TEMPLATE, jinja);
            }
        } else if (t.isTextual()) {
            out.put(DEFAULT_TEMPLATE, t.textValue());
        } else if (t.isArray()) {
            for (JsonNode e : t) {
                JsonNode name = e.get("name");
                JsonNode template = e.get("template");
                if (name == null || !name.isTextual() || template == null || !template.isTextual()) {
                    throw p.wrongType("chat_template", "a string or a list of {\"name\": string, \"template\": string}");
                }
                out.put(name.textValue(), template.textValue());
            }
        } else {
            throw p.wrongType("chat_template", "a string or a list of {\"name\": string, \"template\": string}");
        }
        return out;
    }

    private AddedToken addedToken(HfJson.Parsed p, String key, JsonNode v) throws ModelFormatException {
        if (v.isTextual()) {
            return new AddedToken(v.textValue(), false, false, false, false, true);
        }
        JsonNode content = v.get("content");
        if (!v.isObject() || content == null || !content.isTextual()) {
            throw new ModelFormatException(file, key, p.offset(key.contains(".") ? key.substring(0, key.indexOf('.')) : key),
                    "must be a string or an AddedToken object with a string \"content\", was " + v);
        }
        boolean special = flag(v, "special", false);
        return new AddedToken(content.textValue(), flag(v, "lstrip", false), flag(v, "rstrip", false),
                flag(v, "normalized", !special), flag(v, "single_word", false), special);
    }

    private static boolean flag(JsonNode obj, String name, boolean fallback) {
        JsonNode f = obj.get(name);
        return f != null && f.isBoolean() ? f.booleanValue() : fallback;
    }

    private JsonNode present(String key) {
        JsonNode v = root.get(key);
        return v == null || v.isNull() ? null : v;
    }

    public Path file() {
        return file;
    }

    /** Every chat template by name, in file order; a single string template is named {@code "default"}. */
    public Map<String, String> chatTemplates() {
        return chatTemplates;
    }

    /** The {@code "default"} template, or the only one. */
    public Optional<String> chatTemplate() {
        String t = chatTemplates.get(DEFAULT_TEMPLATE);
        if (t == null && chatTemplates.size() == 1) {
            t = chatTemplates.values().iterator().next();
        }
        return Optional.ofNullable(t);
    }

    /** Looks up a named template. */
    public Optional<String> chatTemplate(String name) {
        return Optional.ofNullable(chatTemplates.get(name));
    }

    public Optional<AddedToken> bosToken() {
        return Optional.ofNullable(specialTokens.get("bos_token"));
    }

    public Optional<AddedToken> eosToken() {
        return Optional.ofNullable(specialTokens.get("eos_token"));
    }

    public Optional<AddedToken> unkToken() {
        return Optional.ofNullable(specialTokens.get("unk_token"));
    }

    public Optional<AddedToken> padToken() {
        return Optional.ofNullable(specialTokens.get("pad_token"));
    }

    /** All special tokens present, keyed by their config name ({@code bos_token}, {@code sep_token}, ...). */
    public Map<String, AddedToken> specialTokens() {
        return Collections.unmodifiableMap(specialTokens);
    }

    public Optional<Boolean> addBosToken() {
        return Optional.ofNullable(present("add_bos_token")).map(JsonNode::booleanValue);
    }

    public Optional<Boolean> addEosToken() {
        return Optional.ofNullable(present("add_eos_token")).map(JsonNode::booleanValue);
    }

    /**
     * {@code model_max_length}, clamped to {@link Long#MAX_VALUE}: transformers writes
     * {@code int(1e30)} to mean "no limit".
     */
    public OptionalLong modelMaxLength() {
        JsonNode v = present("model_max_length");
        if (v == null) {
            return OptionalLong.empty();
        }
        if (v.isIntegralNumber()) {
            return OptionalLong.of(v.canConvertToLong() ? v.longValue() : Long.MAX_VALUE);
        }
        double d = v.doubleValue();
        return OptionalLong.of(d >= 0x1p63 ? Long.MAX_VALUE : (long) d);
    }

    /** The {@code added_tokens_decoder} entries by id, in file order. */
    public Map<Integer, AddedToken> addedTokensDecoder() {
        return Collections.unmodifiableMap(addedTokensDecoder);
    }

    public Optional<String> tokenizerClass() {
        JsonNode v = present("tokenizer_class");
        return v != null && v.isTextual() ? Optional.of(v.textValue()) : Optional.empty();
    }

    /** The whole file as a Jackson tree (a copy). */
    public ObjectNode raw() {
        return root.deepCopy();
    }

    public Map<String, Object> asMap() {
        return HfJson.toJavaMap(root);
    }
}
