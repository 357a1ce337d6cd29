package dev.plinth.text;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufType;
import dev.plinth.io.gguf.GgufValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GGUF {@code tokenizer.*} metadata of a Hugging Face {@code tokenizer.json} (with its
 * {@code tokenizer_config.json} when given), in the shape llama.cpp's {@code convert_hf_to_gguf.py}
 * writes and llama.cpp loads:
 * <ul>
 * <li>BPE with byte fallback (SentencePiece style: Llama-2, Mistral, TinyLlama): model {@code llama},
 * tokens, scores, token types, special ids, add_bos/add_eos, add_space_prefix. HF's BPE merges by
 * merge rank while llama.cpp merges by the merged piece's score; each piece gets the score
 * {@code -rank} of the first merge producing it, so llama.cpp reproduces HF's ids. (llama.cpp's own
 * converter, without a tokenizer.model, writes -1000 for every score, so its llama.cpp merges
 * leftmost-first instead; here the scores are deliberately the ones that keep HF's tokenization.)</li>
 * <li>Byte-level BPE (GPT-2, Llama-3, Qwen2, StarCoder...): model {@code gpt2}, the
 * {@code tokenizer.ggml.pre} name found by comparing the pre-tokenizer's regexes with llama.cpp's,
 * tokens, token types, merges, special ids.</li>
 * <li>WordPiece (BERT): model {@code bert}, pieces as llama.cpp's BERT converter stores them
 * (word-initial pieces prefixed with ▁, {@code ##} continuations without it, {@code [..]} kept).</li>
 * </ul>
 * {@code tokenizer.chat_template} comes from tokenizer_config.json.
 */
public final class GgufTokenizerMetadata {
    private GgufTokenizerMetadata() {
    }

    private static final long MAX_FILE_BYTES = 1L << 30;
    private static final String HF_CONTRACTIONS = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
    private static final String EXPANDED_CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    private static final String GPT2_BYTE_LEVEL = "<ByteLevel use_regex>";
    /** Among llama.cpp pre-tokenizer names with the same regexes, the one to write. */
    private static final List<String> PREFERRED_PRE = List.of("gpt-2", "llama-bpe", "qwen2", "deepseek-llm",
            "deepseek-coder", "deepseek-v3", "falcon", "starcoder", "gpt-4o", "tekken", "qwen35", "bloom",
            "seed-coder", "viking", "dbrx");

    /** Metadata for {@code tokenizerJson}; tokenizer_config.json next to it is read when present. */
    public static Map<String, GgufValue> fromTokenizerJson(Path tokenizerJson) throws IOException {
        Path config = tokenizerJson.resolveSibling("tokenizer_config.json");
        return fromTokenizerJson(tokenizerJson, Files.isRegularFile(config) ? config : null);
    }

    /** Metadata for {@code tokenizerJson} and {@code tokenizerConfig} (may be null). */
    public static Map<String, GgufValue> fromTokenizerJson(Path tokenizerJson, Path tokenizerConfig)
            throws IOException {
        JsonNode root = readJson(tokenizerJson);
        JsonNode config = tokenizerConfig == null ? null : readJson(tokenizerConfig);
        JsonNode model = root.path("model");
        String type = model.path("type").asText("");
        if (type.isEmpty() && model.has("vocab") && model.has("merges")) {
            type = "BPE";
        }
        if (!type.equals("WordPiece") && !type.equals("BPE")) {
            throw new UnsupportedTokenizerException(tokenizerJson, "model.type", type, TokenizerJson.SUPPORTED_MODELS);
        }
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        String[] pieces = pieces(tokenizerJson, root);
        int[] types = new int[pieces.length];
        java.util.Arrays.fill(types, Vocabulary.NORMAL);
        for (JsonNode t : root.path("added_tokens")) {
            types[t.path("id").asInt()] = t.path("special").asBoolean(false) ? Vocabulary.CONTROL : Vocabulary.USER_DEFINED;
        }
        switch (type) {
            case "WordPiece" -> bert(root, pieces, types, meta);
            case "BPE" -> {
                if (model.path("byte_fallback").asBoolean(false)) {
                    spm(tokenizerJson, root, config, pieces, types, meta);
                } else if (ByteLevelBpeJson.isByteLevel(root)) {
                    byteLevel(tokenizerJson, root, config, pieces, types, meta);
                } else {
                    throw new UnsupportedTokenizerException(tokenizerJson, "model", "BPE without byte fallback or "
                            + "ByteLevel pre-tokenizer", TokenizerJson.SUPPORTED_MODELS);
                }
            }
            default -> throw new UnsupportedTokenizerException(tokenizerJson, "model.type", type,
                    TokenizerJson.SUPPORTED_MODELS);
        }
        if (config != null && config.path("chat_template").isTextual()) {
            meta.put("tokenizer.chat_template", GgufValue.of(config.path("chat_template").asText()));
        }
        return meta;
    }

    private static JsonNode readJson(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new ModelFormatException(file, null, -1, size + " bytes is larger than 1 GiB");
        }
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            if (root == null || !root.isObject()) {
                throw new ModelFormatException(file, null, 0, "not a JSON object");
            }
            return root;
        } catch (JacksonException e) {
            long offset = e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
            throw new ModelFormatException(file, null, offset, "not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Pieces by id from model.vocab and added_tokens; ids must be 0..n-1 without holes. */
    private static String[] pieces(Path file, JsonNode root) throws ModelFormatException {
        JsonNode vocab = root.path("model").path("vocab");
        if (!vocab.isObject()) {
            throw new ModelFormatException(file, "model.vocab", -1, "missing or not an object of piece -> id");
        }
        Map<Integer, String> byId = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
            put(file, "model.vocab", byId, e.getValue(), e.getKey());
        }
        for (JsonNode t : root.path("added_tokens")) {
            put(file, "added_tokens", byId, t.path("id"), t.path("content").asText());
        }
        String[] pieces = new String[byId.size()];
        for (int id = 0; id < pieces.length; id++) {
            pieces[id] = byId.get(id);
            if (pieces[id] == null) {
                throw new ModelFormatException(file, "model.vocab", -1,
                        "token ids are not 0.." + (pieces.length - 1) + ": id " + id + " is missing");
            }
        }
        return pieces;
    }

    private static void put(Path file, String field, Map<Integer, String> byId, JsonNode id, String piece)
            throws ModelFormatException {
        if (!id.canConvertToInt() || id.asInt() < 0) {
            throw new ModelFormatException(file, field, -1, "piece '" + piece + "' has no valid id: " + id);
        }
        String previous = byId.putIfAbsent(id.asInt(), piece);
        if (previous != null && !previous.equals(piece)) {
            throw new ModelFormatException(file, field, -1, "id " + id + " is both '" + previous + "' and '" + piece + "'");
        }
    }

    private static void spm(Path file, JsonNode root, JsonNode config, String[] pieces, int[] types,
                            Map<String, GgufValue> meta) throws IOException {
        Map<String, Integer> ids = index(pieces);
        String unk = root.path("model").path("unk_token").asText(null);
        for (int id = 0; id < pieces.length; id++) {
            String p = pieces[id];
            if (p.equals(unk)) {
                types[id] = Vocabulary.UNKNOWN;
            } else if (p.length() == 6 && p.matches("<0x[0-9A-Fa-f]{2}>")) {
                types[id] = Vocabulary.BYTE;
            }
        }
        List<String[]> merges = merges(file, root);
        float[] scores = new float[pieces.length];
        boolean[] scored = new boolean[pieces.length];
        for (int rank = 0; rank < merges.size(); rank++) {
            Integer id = ids.get(merges.get(rank)[0] + merges.get(rank)[1]);
            if (id != null && !scored[id]) {
                scored[id] = true;
                scores[id] = -rank;
            }
        }
        for (int id = 0; id < pieces.length; id++) {
            if (!scored[id] && types[id] == Vocabulary.NORMAL && pieces[id].codePointCount(0, pieces[id].length()) > 1) {
                // unreachable by HF's merges: rank it after every merge so llama.cpp prefers the others
                scores[id] = -merges.size() - id;
            }
        }
        meta.put("tokenizer.ggml.model", GgufValue.of("llama"));
        meta.put("tokenizer.ggml.pre", GgufValue.of("default"));
        meta.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufType.STRING, List.of(pieces)));
        List<Float> scoreList = new ArrayList<>(pieces.length);
        for (float s : scores) {
            scoreList.add(s);
        }
        meta.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufType.FLOAT32, scoreList));
        putTypes(meta, types);
        Template template = template(root, ids);
        putSpecial(meta, "bos", config, "bos_token", ids, template.first);
        putSpecial(meta, "eos", config, "eos_token", ids, template.last);
        putSpecial(meta, "unknown", config, "unk_token", ids, unk == null ? -1 : ids.getOrDefault(unk, -1));
        putSpecial(meta, "padding", config, "pad_token", ids, -1);
        putAdd(meta, config, template);
        meta.put("tokenizer.ggml.add_space_prefix", GgufValue.ofBool(addSpacePrefix(root)));
    }

    private static void byteLevel(Path file, JsonNode root, JsonNode config, String[] pieces, int[] types,
                                  Map<String, GgufValue> meta) throws IOException {
        Map<String, Integer> ids = index(pieces);
        meta.put("tokenizer.ggml.model", GgufValue.of("gpt2"));
        meta.put("tokenizer.ggml.pre", GgufValue.of(preName(file, root)));
        meta.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufType.STRING, List.of(pieces)));
        putTypes(meta, types);
        List<String> merges = new ArrayList<>();
        for (String[] m : merges(file, root)) {
            merges.add(m[0] + " " + m[1]);
        }
        meta.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufType.STRING, merges));
        Template template = template(root, ids);
        putSpecial(meta, "bos", config, "bos_token", ids, template.first);
        putSpecial(meta, "eos", config, "eos_token", ids, template.last);
        putSpecial(meta, "unknown", config, "unk_token", ids, -1);
        putSpecial(meta, "padding", config, "pad_token", ids, -1);
        putAdd(meta, config, template);
    }

    private static void bert(JsonNode root, String[] pieces, int[] types, Map<String, GgufValue> meta) {
        Map<String, Integer> ids = index(pieces);
        String prefix = root.path("model").path("continuing_subword_prefix").asText("##");
        List<String> tokens = new ArrayList<>(pieces.length);
        for (String p : pieces) {
            if (p.startsWith("[") && p.endsWith("]")) {
                tokens.add(p);
            } else if (!prefix.isEmpty() && p.startsWith(prefix)) {
                tokens.add(p.substring(prefix.length()));
            } else {
                tokens.add("\u2581" + p);
            }
        }
        meta.put("tokenizer.ggml.model", GgufValue.of("bert"));
        meta.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufType.STRING, tokens));
        putTypes(meta, types);
        meta.put("tokenizer.ggml.token_type_count", GgufValue.ofUint32(2));
        String unk = root.path("model").path("unk_token").asText("[UNK]");
        putId(meta, "tokenizer.ggml.unknown_token_id", ids.getOrDefault(unk, -1));
        putId(meta, "tokenizer.ggml.seperator_token_id", ids.getOrDefault("[SEP]", -1));
        putId(meta, "tokenizer.ggml.padding_token_id", ids.getOrDefault("[PAD]", -1));
        putId(meta, "tokenizer.ggml.cls_token_id", ids.getOrDefault("[CLS]", -1));
        putId(meta, "tokenizer.ggml.mask_token_id", ids.getOrDefault("[MASK]", -1));
    }

    private static Map<String, Integer> index(String[] pieces) {
        Map<String, Integer> ids = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
        }
        return ids;
    }

    /** model.merges as pairs; HF writes either "a b" strings or ["a", "b"] arrays. */
    private static List<String[]> merges(Path file, JsonNode root) throws ModelFormatException {
        List<String[]> out = new ArrayList<>();
        for (JsonNode m : root.path("model").path("merges")) {
            if (m.isTextual()) {
                String s = m.asText();
                int space = s.indexOf(' ', 1);
                if (space < 0) {
                    throw new ModelFormatException(file, "model.merges", -1, "merge '" + s + "' has no space");
                }
                out.add(new String[] {s.substring(0, space), s.substring(space + 1)});
            } else if (m.isArray() && m.size() == 2) {
                out.add(new String[] {m.get(0).asText(), m.get(1).asText()});
            } else {
                throw new ModelFormatException(file, "model.merges", -1, "merge " + m + " is neither 'a b' nor [a, b]");
            }
        }
        return out;
    }

    private static void putTypes(Map<String, GgufValue> meta, int[] types) {
        List<Integer> list = new ArrayList<>(types.length);
        for (int t : types) {
            list.add(t);
        }
        meta.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufType.INT32, list));
    }

    private static void putId(Map<String, GgufValue> meta, String key, int id) {
        if (id >= 0) {
            meta.put(key, GgufValue.ofUint32(id));
        }
    }

    /** The id of tokenizer_config's {@code field} (a string or an AddedToken object), else the fallback. */
    private static void putSpecial(Map<String, GgufValue> meta, String kind, JsonNode config, String field,
                                   Map<String, Integer> ids, int fallback) {
        int id = fallback;
        if (config != null) {
            JsonNode n = config.path(field);
            String text = n.isTextual() ? n.asText() : n.path("content").isTextual() ? n.path("content").asText() : null;
            if (text != null && ids.containsKey(text)) {
                id = ids.get(text);
            }
        }
        putId(meta, "tokenizer.ggml." + kind + "_token_id", id);
    }

    /** The special tokens a TemplateProcessing post-processor puts before and after a single sequence. */
    private record Template(int first, int last, boolean known) {
    }

    private static Template template(JsonNode root, Map<String, Integer> ids) {
        JsonNode pp = root.path("post_processor");
        if (pp.path("type").asText("").equals("Sequence")) {
            for (JsonNode p : pp.path("processors")) {
                if (p.path("type").asText("").equals("TemplateProcessing")) {
                    pp = p;
                }
            }
        }
        if (!pp.path("type").asText("").equals("TemplateProcessing")) {
            return new Template(-1, -1, false);
        }
        int first = -1;
        int last = -1;
        boolean beforeSequence = true;
        for (JsonNode step : pp.path("single")) {
            if (step.has("Sequence")) {
                beforeSequence = false;
            } else if (step.has("SpecialToken")) {
                int id = ids.getOrDefault(step.path("SpecialToken").path("id").asText(), -1);
                if (beforeSequence && first < 0) {
                    first = id;
                } else if (!beforeSequence) {
                    last = id;
                }
            }
        }
        return new Template(first, last, true);
    }

    private static void putAdd(Map<String, GgufValue> meta, JsonNode config, Template template) {
        for (String kind : new String[] {"bos", "eos"}) {
            String key = "add_" + kind + "_token";
            if (config != null && config.path(key).isBoolean()) {
                meta.put("tokenizer.ggml." + key, GgufValue.ofBool(config.path(key).asBoolean()));
            } else if (template.known()) {
                meta.put("tokenizer.ggml." + key, GgufValue.ofBool((kind.equals("bos") ? template.first : template.last) >= 0));
            }
        }
    }

    /** A ▁ is prepended by the normalizer (Prepend) or a Metaspace pre-tokenizer. */
    private static boolean addSpacePrefix(JsonNode root) {
        for (JsonNode n : flatten(root.path("normalizer"), "normalizers")) {
            if (n.path("type").asText("").equals("Prepend") && n.path("prepend").asText("").equals("\u2581")) {
                return true;
            }
        }
        for (JsonNode n : flatten(root.path("pre_tokenizer"), "pretokenizers")) {
            if (n.path("type").asText("").equals("Metaspace")) {
                String scheme = n.path("prepend_scheme").asText("");
                return scheme.isEmpty() ? n.path("add_prefix_space").asBoolean(true) : !scheme.equals("never");
            }
        }
        return false;
    }

    private static List<JsonNode> flatten(JsonNode n, String children) {
        List<JsonNode> out = new ArrayList<>();
        if (n == null || n.isMissingNode() || n.isNull()) {
            return out;
        }
        if (n.path("type").asText("").equals("Sequence")) {
            for (JsonNode c : n.path(children)) {
                out.addAll(flatten(c, children));
            }
        } else {
            out.add(n);
        }
        return out;
    }

    /** The pre-tokenizer's regexes in order; a ByteLevel step with use_regex stands for GPT-2's. */
    static List<String> preTokenizerRegexes(JsonNode root) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : flatten(root.path("pre_tokenizer"), "pretokenizers")) {
            String type = n.path("type").asText("");
            if (type.equals("Split") && n.path("pattern").has("Regex")) {
                out.add(n.path("pattern").path("Regex").asText());
            } else if (type.equals("ByteLevel") && n.path("use_regex").asBoolean(true)) {
                out.add(GPT2_BYTE_LEVEL);
            } else if (type.equals("Digits")) {
                out.add(n.path("individual_digits").asBoolean(false) ? "\\p{N}" : "\\p{N}+");
            }
        }
        return out;
    }

    /** The llama.cpp pre-tokenizer name whose regexes are the tokenizer.json's. */
    private static String preName(Path file, JsonNode root) throws UnsupportedTokenizerException {
        List<String> regexes = preTokenizerRegexes(root);
        boolean ignoreMerges = root.path("model").path("ignore_merges").asBoolean(false);
        List<String> matches = new ArrayList<>();
        for (String name : LlamaCppPreTypes.names()) {
            LlamaCppPreTypes.Spec spec = LlamaCppPreTypes.of(name);
            if (!name.isEmpty() && !name.equals("default") && sameRegexes(spec.regexes(), regexes)) {
                matches.add(name);
            }
        }
        if (matches.isEmpty()) {
            throw new UnsupportedTokenizerException(file, "pre_tokenizer", String.join(" , ", regexes),
                    "the regexes of a llama.cpp pre-tokenizer (" + String.join(", ", LlamaCppPreTypes.names()) + ")");
        }
        matches.sort(java.util.Comparator
                .comparing((String n) -> LlamaCppPreTypes.of(n).ignoreMerges() != ignoreMerges)
                .thenComparingInt(n -> PREFERRED_PRE.contains(n) ? PREFERRED_PRE.indexOf(n) : PREFERRED_PRE.size()));
        return matches.get(0);
    }

    private static boolean sameRegexes(List<String> llamaCpp, List<String> json) {
        if (llamaCpp.size() != json.size()) {
            return false;
        }
        for (int i = 0; i < json.size(); i++) {
            String ours = llamaCpp.get(i);
            // HF files spell the contractions case-insensitively; llama.cpp's regexes spell the cases out
            String theirs = json.get(i).replace(HF_CONTRACTIONS, EXPANDED_CONTRACTIONS);
            boolean gpt2 = ours.equals(LlamaCppSplits.GPT2_REGEX);
            boolean same = theirs.equals(ours) || theirs.equals(TokenizerJsonWriter.toOniguruma(ours))
                    || (gpt2 && theirs.equals(GPT2_BYTE_LEVEL));
            if (!same) {
                return false;
            }
        }
        return true;
    }
}
