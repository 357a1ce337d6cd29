package dev.plinth.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.io.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads a Hugging Face {@code tokenizer.json} whose model is byte-level BPE. */
final class ByteLevelBpeJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_VOCAB = 1 << 24;

    private final Path file;

    private ByteLevelBpeJson(Path file) {
        this.file = file;
    }

    static ByteLevelBpeTokenizer load(Path path) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(path.toFile());
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(path, "(json)", e.getLocation() == null ? -1
                    : e.getLocation().getCharOffset(), "is not valid JSON: " + e.getOriginalMessage(), e);
        }
        return load(path, root);
    }

    static ByteLevelBpeTokenizer load(Path path, JsonNode root) throws IOException {
        return new ByteLevelBpeJson(path).parse(root);
    }

    /** Whether {@code root} describes byte-level BPE: a ByteLevel pre-tokenizer step. */
    static boolean isByteLevel(JsonNode root) {
        return hasByteLevel(root.path("pre_tokenizer"));
    }

    private static boolean hasByteLevel(JsonNode pre) {
        if (pre.path("type").asText("").equals("ByteLevel")) {
            return true;
        }
        for (JsonNode n : pre.path("pretokenizers")) {
            if (hasByteLevel(n)) {
                return true;
            }
        }
        return false;
    }

    private ModelFormatException bad(String field, String problem) {
        return new ModelFormatException(file, field, -1, problem);
    }

    private ByteLevelBpeTokenizer parse(JsonNode root) throws IOException {
        JsonNode model = root.path("model");
        if (!model.path("type").asText("BPE").equals("BPE") || !model.has("vocab")) {
            throw bad("model.type", "is '" + model.path("type").asText() + "', expected a BPE model with a vocab");
        }
        Map<String, Integer> ids = new HashMap<>();
        int size = 0;
        var fields = model.path("vocab").properties();
        for (Map.Entry<String, JsonNode> e : fields) {
            int id = checkedId("model.vocab." + e.getKey(), e.getValue());
            ids.put(e.getKey(), id);
            size = Math.max(size, id + 1);
        }
        List<SpecialTokens.Entry> added = new ArrayList<>();
        for (JsonNode a : root.path("added_tokens")) {
            int id = checkedId("added_tokens.id", a.path("id"));
            if (a.path("single_word").asBoolean(false)) {
                throw new UnsupportedTokenizerException(file, "added_tokens.single_word", "true", "false");
            }
            added.add(new SpecialTokens.Entry(id, a.path("content").asText(), a.path("special").asBoolean(false),
                    a.path("lstrip").asBoolean(false), a.path("rstrip").asBoolean(false)));
            size = Math.max(size, id + 1);
        }
        String[] tokens = new String[size];
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
            tokens[e.getValue()] = e.getKey();
        }
        int[] types = new int[size];
        java.util.Arrays.fill(types, ByteLevelBpeTokenizer.NORMAL);
        for (SpecialTokens.Entry a : added) {
            if (tokens[a.id()] == null) {
                tokens[a.id()] = a.text();
                ids.putIfAbsent(a.text(), a.id());
            }
            types[a.id()] = a.special() ? ByteLevelBpeTokenizer.CONTROL : ByteLevelBpeTokenizer.USER_DEFINED;
        }
        for (int i = 0; i < size; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[UNUSED_" + i + "]";
                types[i] = ByteLevelBpeTokenizer.UNUSED;
            }
        }
        List<String[]> merges = merges(model.path("merges"), ids);
        int unk = -1;
        if (model.hasNonNull("unk_token")) {
            Integer u = ids.get(model.get("unk_token").asText());
            unk = u == null ? -1 : u;
        }
        BpeModel bpe = new BpeModel(tokens, ids, merges, model.path("ignore_merges").asBoolean(false),
                BpeModel.Fallback.UNK, unk);

        List<PreSplit> steps = new ArrayList<>();
        JsonNode normalizer = root.path("normalizer");
        normalizer(normalizer, steps);
        JsonNode pre = root.path("pre_tokenizer");
        preTokenizer(pre, steps);
        if (steps.stream().noneMatch(s -> s instanceof HfSplits.ByteLevelMark)) {
            throw bad("pre_tokenizer", "has no ByteLevel step; only byte-level BPE is supported here");
        }
        List<Integer> prefix = new ArrayList<>();
        List<Integer> suffix = new ArrayList<>();
        postProcessor(root.path("post_processor"), prefix, suffix);
        int bos = prefix.isEmpty() ? -1 : prefix.getFirst();
        int eos = suffix.isEmpty() ? -1 : suffix.getLast();
        Path config = file.resolveSibling("tokenizer_config.json");
        if (Files.isRegularFile(config)) {
            JsonNode c = JSON.readTree(config.toFile());
            bos = bos >= 0 ? bos : specialId(c.path("bos_token"), ids);
            eos = eos >= 0 ? eos : specialId(c.path("eos_token"), ids);
        }
        return new ByteLevelBpeTokenizer(bpe, steps, types,
                new SpecialTokens(added, SpecialTokens.Matching.LEFTMOST_LONGEST), bos, eos,
                prefix.stream().mapToInt(Integer::intValue).toArray(),
                suffix.stream().mapToInt(Integer::intValue).toArray(),
                new ByteLevelBpeTokenizer.HfJson(normalizer.isMissingNode() ? "null" : normalizer.toString(),
                        pre.toString(), root.path("post_processor").toString()));
    }

    private static int specialId(JsonNode token, Map<String, Integer> ids) {
        String text = token.isObject() ? token.path("content").asText(null) : token.asText(null);
        Integer id = text == null ? null : ids.get(text);
        return id == null ? -1 : id;
    }

    private int checkedId(String field, JsonNode node) throws ModelFormatException {
        if (!node.canConvertToInt() || node.asInt() < 0 || node.asInt() >= MAX_VOCAB) {
            throw bad(field, "token id " + node + " is not an integer in [0, " + MAX_VOCAB + ")");
        }
        return node.asInt();
    }

    private List<String[]> merges(JsonNode node, Map<String, Integer> ids) throws ModelFormatException {
        List<String[]> merges = new ArrayList<>();
        int i = 0;
        for (JsonNode m : node) {
            String a;
            String b;
            if (m.isArray() && m.size() == 2) {
                a = m.get(0).asText();
                b = m.get(1).asText();
            } else if (m.isTextual() && m.asText().indexOf(' ') > 0) {
                String s = m.asText();
                int space = s.indexOf(' ');
                a = s.substring(0, space);
                b = s.substring(space + 1);
            } else {
                throw bad("model.merges[" + i + "]", "is " + m + ", expected \"a b\" or [a, b]");
            }
            if (!ids.containsKey(a) || !ids.containsKey(b) || !ids.containsKey(a + b)) {
                throw bad("model.merges[" + i + "]", "merges '" + a + "' and '" + b + "', which are not all in the vocabulary");
            }
            merges.add(new String[] {a, b});
            i++;
        }
        return merges;
    }

    private void normalizer(JsonNode node, List<PreSplit> steps) throws IOException {
        if (node.isMissingNode() || node.isNull()) {
            return;
        }
        String type = node.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                for (JsonNode n : node.path("normalizers")) {
                    normalizer(n, steps);
                }
            }
            case "NFC" -> steps.add(new HfSplits.Normalize(java.text.Normalizer.Form.NFC));
            case "NFD" -> steps.add(new HfSplits.Normalize(java.text.Normalizer.Form.NFD));
            case "NFKC" -> steps.add(new HfSplits.Normalize(java.text.Normalizer.Form.NFKC));
            case "NFKD" -> steps.add(new HfSplits.Normalize(java.text.Normalizer.Form.NFKD));
            default -> throw new UnsupportedTokenizerException(file, "normalizer.type", type,
                    "null, NFC, NFD, NFKC, NFKD, Sequence of these");
        }
    }

    private void preTokenizer(JsonNode node, List<PreSplit> steps) throws IOException {
        if (node.isMissingNode() || node.isNull()) {
            return;
        }
        String type = node.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                for (JsonNode n : node.path("pretokenizers")) {
                    preTokenizer(n, steps);
                }
            }
            case "ByteLevel" -> {
                if (node.path("add_prefix_space").asBoolean(true)) {
                    steps.add(new HfSplits.PrefixSpace());
                }
                if (node.path("use_regex").asBoolean(true)) {
                    steps.add(new LlamaCppSplits.Gpt2(true));
                }
                steps.add(new HfSplits.ByteLevelMark());
            }
            case "Split" -> {
                HfSplits.Behavior behavior = behavior(node.path("behavior").asText("Isolated"));
                boolean invert = node.path("invert").asBoolean(false);
                JsonNode pattern = node.path("pattern");
                if (pattern.has("Regex")) {
                    try {
                        steps.add(HfSplits.Pattern.regex(pattern.get("Regex").asText(), behavior, invert));
                    } catch (java.util.regex.PatternSyntaxException e) {
                        throw bad("pre_tokenizer.pattern.Regex", "cannot be compiled: " + e.getDescription());
                    }
                } else if (pattern.has("String")) {
                    steps.add(HfSplits.Pattern.literal(pattern.get("String").asText(), behavior, invert));
                } else {
                    throw bad("pre_tokenizer.pattern", "is " + pattern + ", expected {\"Regex\": ...} or {\"String\": ...}");
                }
            }
            case "Digits" -> steps.add(HfSplits.ByCategory.digits(node.path("individual_digits").asBoolean(false)));
            case "Punctuation" -> steps.add(HfSplits.ByCategory.punctuation(
                    behavior(node.path("behavior").asText("Isolated"))));
            default -> throw new UnsupportedTokenizerException(file, "pre_tokenizer.type", type,
                    "ByteLevel, Split, Digits, Punctuation, Sequence");
        }
    }

    private HfSplits.Behavior behavior(String name) throws ModelFormatException {
        try {
            return HfSplits.Behavior.parse(name);
        } catch (IllegalArgumentException e) {
            throw bad("pre_tokenizer.behavior", e.getMessage());
        }
    }

    private void postProcessor(JsonNode node, List<Integer> prefix, List<Integer> suffix) throws ModelFormatException {
        if (node.isMissingNode() || node.isNull()) {
            return;
        }
        String type = node.path("type").asText();
        switch (type) {
            case "ByteLevel" -> {
            }
            case "Sequence" -> {
                for (JsonNode n : node.path("processors")) {
                    postProcessor(n, prefix, suffix);
                }
            }
            case "RobertaProcessing", "BertProcessing" -> {
                prefix.add(checkedId("post_processor.cls", node.path("cls").path(1)));
                suffix.add(checkedId("post_processor.sep", node.path("sep").path(1)));
            }
            case "TemplateProcessing" -> {
                boolean afterSequence = false;
                for (JsonNode item : node.path("single")) {
                    if (item.has("Sequence")) {
                        afterSequence = true;
                    } else if (item.has("SpecialToken")) {
                        String name = item.get("SpecialToken").path("id").asText();
                        JsonNode special = node.path("special_tokens").path(name);
                        if (!special.has("ids")) {
                            throw bad("post_processor.special_tokens", "has no entry for '" + name + "'");
                        }
                        for (JsonNode id : special.get("ids")) {
                            (afterSequence ? suffix : prefix).add(checkedId("post_processor.special_tokens.ids", id));
                        }
                    }
                }
            }
            default -> throw bad("post_processor.type", "post-processor '" + type + "' is not supported");
        }
    }
}
