package dev.plinth.text;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.io.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Reads a Hugging Face {@code tokenizer.json} into one of Plinth's tokenizers. */
final class TokenizerJson {
    private TokenizerJson() {
    }

    static final String SUPPORTED_MODELS = "WordPiece (BertNormalizer, BertPreTokenizer), "
            + "BPE with SentencePiece-style ▁ escaping and byte fallback (Llama-2, Mistral, TinyLlama), "
            + "byte-level BPE (ByteLevel pre-tokenizer)";

    private static final long MAX_FILE_BYTES = 1L << 30;

    static Tokenizer read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new ModelFormatException(file, null, -1, "tokenizer.json of " + size + " bytes is larger than 1 GiB");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (JacksonException e) {
            long offset = e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
            throw new ModelFormatException(file, null, offset, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file, null, 0, "not a JSON object");
        }
        JsonNode model = root.path("model");
        String type = model.path("type").asText("");
        if (type.isEmpty() && model.has("vocab") && model.has("merges")) {
            type = "BPE";
        }
        return switch (type) {
            case "WordPiece" -> wordPiece(file, root);
            case "BPE" -> {
                if (isSentencePieceStyle(root)) {
                    yield spm(file, root);
                }
                if (ByteLevelBpeJson.isByteLevel(root)) {
                    yield ByteLevelBpeJson.load(file, root);
                }
                throw new UnsupportedTokenizerException(file, "model.type", "BPE (pre_tokenizer "
                        + root.path("pre_tokenizer").path("type").asText("null") + ")", SUPPORTED_MODELS);
            }
            default -> throw new UnsupportedTokenizerException(file, "model.type", type, SUPPORTED_MODELS);
        };
    }

    private static boolean isSentencePieceStyle(JsonNode root) {
        JsonNode model = root.path("model");
        String pre = root.path("pre_tokenizer").path("type").asText("");
        return model.path("byte_fallback").asBoolean(false) || pre.equals("Metaspace")
                || normalizerSteps(root.path("normalizer")).stream()
                        .anyMatch(n -> n.path("type").asText("").equals("Replace")
                                && n.path("content").asText("").equals("\u2581"));
    }

    private static List<JsonNode> normalizerSteps(JsonNode n) {
        List<JsonNode> out = new ArrayList<>();
        if (n == null || n.isNull() || n.isMissingNode()) {
            return out;
        }
        if (n.path("type").asText("").equals("Sequence")) {
            for (JsonNode c : n.path("normalizers")) {
                out.addAll(normalizerSteps(c));
            }
        } else {
            out.add(n);
        }
        return out;
    }

    /** Vocabulary from model.vocab plus added_tokens; ids must cover 0..max without holes. */
    private static Vocabulary vocabulary(Path file, JsonNode root, String unkToken, boolean spm) throws IOException {
        JsonNode vocabNode = root.path("model").path("vocab");
        if (!vocabNode.isObject()) {
            throw new ModelFormatException(file, "model.vocab", -1, "missing or not an object of piece -> id");
        }
        Map<Integer, String> byId = new HashMap<>();
        Map<Integer, Integer> types = new HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            putPiece(file, "model.vocab", byId, e.getValue(), e.getKey());
        }
        for (JsonNode t : root.path("added_tokens")) {
            int id = putPiece(file, "added_tokens", byId, t.path("id"), t.path("content").asText());
            types.put(id, t.path("special").asBoolean(false) ? Vocabulary.CONTROL : Vocabulary.USER_DEFINED);
        }
        int n = byId.size();
        String[] pieces = new String[n];
        float[] scores = new float[n];
        int[] typeArr = new int[n];
        for (int id = 0; id < n; id++) {
            String p = byId.get(id);
            if (p == null) {
                throw new ModelFormatException(file, "model.vocab", -1, "token ids are not 0.." + (n - 1) + ": id " + id + " is missing");
            }
            pieces[id] = p;
            int type = types.getOrDefault(id, Vocabulary.NORMAL);
            if (p.equals(unkToken)) {
                type = Vocabulary.UNKNOWN;
            } else if (spm && type == Vocabulary.NORMAL && p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
                type = Vocabulary.BYTE;
            }
            typeArr[id] = type;
        }
        try {
            return new Vocabulary(pieces, scores, typeArr);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "model.vocab", -1, e.getMessage());
        }
    }

    private static int putPiece(Path file, String field, Map<Integer, String> byId, JsonNode idNode, String piece)
            throws ModelFormatException {
        if (!idNode.canConvertToInt() || idNode.asInt() < 0) {
            throw new ModelFormatException(file, field, -1, "piece '" + piece + "' has no valid id: " + idNode);
        }
        int id = idNode.asInt();
        String previous = byId.putIfAbsent(id, piece);
        if (previous != null && !previous.equals(piece)) {
            throw new ModelFormatException(file, field, -1, "id " + id + " is both '" + previous + "' and '" + piece + "'");
        }
        return id;
    }

    /**
     * Added tokens, matched on the raw text. A token marked {@code normalized} that the
     * normalizer would change is refused: HF matches it on normalized text, which Plinth does not do.
     */
    private static SpecialTokens addedTokens(Path file, JsonNode root, Vocabulary vocab,
            java.util.function.UnaryOperator<String> normalizer) throws IOException {
        List<SpecialTokens.Entry> entries = new ArrayList<>();
        for (JsonNode t : root.path("added_tokens")) {
            String content = t.path("content").asText();
            if (t.path("normalized").asBoolean(false) && !normalizer.apply(content).equals(content)) {
                throw new UnsupportedTokenizerException(file, "added_tokens.normalized", "true for '" + content + "'",
                        "false, or true for a token the normalizer leaves unchanged");
            }
            if (t.path("single_word").asBoolean(false)) {
                throw new UnsupportedTokenizerException(file, "added_tokens.single_word", "true", "false");
            }
            entries.add(new SpecialTokens.Entry(t.path("id").asInt(), t.path("content").asText(),
                    t.path("special").asBoolean(false), t.path("lstrip").asBoolean(false),
                    t.path("rstrip").asBoolean(false)));
        }
        return new SpecialTokens(entries, SpecialTokens.Matching.LEFTMOST_LONGEST);
    }

    /** Prefix and suffix ids of the single-sequence post-processing, or empty. */
    private static int[][] postProcessor(Path file, JsonNode pp, Vocabulary vocab) throws IOException {
        if (pp == null || pp.isNull() || pp.isMissingNode()) {
            return new int[][] {new int[0], new int[0]};
        }
        String type = pp.path("type").asText("");
        switch (type) {
            case "Sequence" -> {
                int[][] result = {new int[0], new int[0]};
                for (JsonNode p : pp.path("processors")) {
                    int[][] r = postProcessor(file, p, vocab);
                    if (r[0].length + r[1].length > 0) {
                        result = r;
                    }
                }
                return result;
            }
            case "ByteLevel" -> {
                return new int[][] {new int[0], new int[0]};
            }
            case "BertProcessing", "RobertaProcessing" -> {
                int cls = pp.path("cls").path(1).asInt(-1);
                int sep = pp.path("sep").path(1).asInt(-1);
                if (!vocab.contains(cls) || !vocab.contains(sep)) {
                    throw new ModelFormatException(file, "post_processor.cls", -1, "cls/sep ids outside the vocabulary");
                }
                return new int[][] {{cls}, {sep}};
            }
            case "TemplateProcessing" -> {
                IntList before = new IntList(2);
                IntList after = new IntList(2);
                boolean seenSequence = false;
                for (JsonNode piece : pp.path("single")) {
                    if (piece.has("Sequence")) {
                        seenSequence = true;
                    } else if (piece.has("SpecialToken")) {
                        String name = piece.path("SpecialToken").path("id").asText();
                        JsonNode ids = pp.path("special_tokens").path(name).path("ids");
                        if (!ids.isArray() || ids.isEmpty()) {
                            throw new ModelFormatException(file, "post_processor.special_tokens", -1,
                                    "template token '" + name + "' has no ids");
                        }
                        for (JsonNode id : ids) {
                            if (!vocab.contains(id.asInt(-1))) {
                                throw new ModelFormatException(file, "post_processor.special_tokens", -1,
                                        "template token '" + name + "' id " + id + " outside the vocabulary");
                            }
                            (seenSequence ? after : before).add(id.asInt());
                        }
                    }
                }
                return new int[][] {before.toArray(), after.toArray()};
            }
            default -> throw new UnsupportedTokenizerException(file, "post_processor.type", type,
                    "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence, null");
        }
    }

    private static WordPieceTokenizer wordPiece(Path file, JsonNode root) throws IOException {
        JsonNode model = root.path("model");
        String unk = model.path("unk_token").asText("[UNK]");
        Vocabulary vocab = vocabulary(file, root, unk, false);
        int unkId = vocab.id(unk);
        if (unkId < 0) {
            throw new ModelFormatException(file, "model.unk_token", -1, "'" + unk + "' is not in the vocabulary");
        }
        JsonNode norm = root.path("normalizer");
        String normType = norm.path("type").asText("null");
        if (!normType.equals("BertNormalizer")) {
            throw new UnsupportedTokenizerException(file, "normalizer.type", normType, "BertNormalizer");
        }
        boolean lowercase = norm.path("lowercase").asBoolean(true);
        JsonNode strip = norm.path("strip_accents");
        WordPieceTokenizer.Normalization n = new WordPieceTokenizer.Normalization(
                norm.path("clean_text").asBoolean(true), norm.path("handle_chinese_chars").asBoolean(true),
                strip.isBoolean() ? strip.asBoolean() : lowercase, lowercase);
        String pre = root.path("pre_tokenizer").path("type").asText("null");
        if (!pre.equals("BertPreTokenizer")) {
            throw new UnsupportedTokenizerException(file, "pre_tokenizer.type", pre, "BertPreTokenizer");
        }
        int[][] pp = postProcessor(file, root.path("post_processor"), vocab);
        JsonNode decoder = root.path("decoder");
        String prefix = model.path("continuing_subword_prefix").asText("##");
        java.util.function.UnaryOperator<String> normalize = c -> lowercase ? c.toLowerCase(java.util.Locale.ROOT) : c;
        return new WordPieceTokenizer(vocab, addedTokens(file, root, vocab, normalize), WordPieceTokenizer.Dialect.HUGGING_FACE, n,
                prefix, model.path("max_input_chars_per_word").asInt(100), unkId, pp[0], pp[1],
                pp[0].length > 0 ? pp[0][0] : -1, -1, decoder.path("cleanup").asBoolean(true));
    }

    private static SpmTokenizer spm(Path file, JsonNode root) throws IOException {
        JsonNode model = root.path("model");
        String unk = model.path("unk_token").asText(null);
        Vocabulary vocab = vocabulary(file, root, unk, true);
        int unkId = unk == null ? -1 : vocab.id(unk);
        for (String f : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            JsonNode v = model.path(f);
            if (!v.isMissingNode() && !v.isNull() && !v.asText().isEmpty()) {
                throw new UnsupportedTokenizerException(file, "model." + f, v.asText(), "null");
            }
        }
        if (model.path("ignore_merges").asBoolean(false)) {
            throw new UnsupportedTokenizerException(file, "model.ignore_merges", "true", "false");
        }
        Map<String, Integer> ranks = new HashMap<>();
        int rank = 0;
        for (JsonNode m : model.path("merges")) {
            String left;
            String right;
            if (m.isArray() && m.size() == 2) {
                left = m.get(0).asText();
                right = m.get(1).asText();
            } else {
                String s = m.asText();
                int space = s.indexOf(' ', 1);
                if (space < 0) {
                    throw new ModelFormatException(file, "model.merges", -1, "merge " + rank + " '" + s + "' is not 'left right'");
                }
                left = s.substring(0, space);
                right = s.substring(space + 1);
            }
            ranks.putIfAbsent(left + '\0' + right, rank++);
        }
        boolean prepend = false;
        boolean replace = false;
        for (JsonNode step : normalizerSteps(root.path("normalizer"))) {
            String t = step.path("type").asText("");
            if (t.equals("Prepend") && step.path("prepend").asText().equals("\u2581")) {
                prepend = true;
            } else if (t.equals("Replace") && step.path("pattern").path("String").asText().equals(" ")
                    && step.path("content").asText().equals("\u2581")) {
                replace = true;
            } else {
                throw new UnsupportedTokenizerException(file, "normalizer", t,
                        "Prepend(\u2581), Replace(' ' -> \u2581), Sequence of those, null");
            }
        }
        SpmTokenizer.SpacePrefix prefix = prepend ? SpmTokenizer.SpacePrefix.AFTER_TOKENS : SpmTokenizer.SpacePrefix.NEVER;
        boolean split = false;
        JsonNode pre = root.path("pre_tokenizer");
        String preType = pre.path("type").asText("null");
        if (preType.equals("Metaspace")) {
            if (!pre.path("replacement").asText("\u2581").equals("\u2581")) {
                throw new UnsupportedTokenizerException(file, "pre_tokenizer.replacement", pre.path("replacement").asText(), "\u2581");
            }
            String scheme = pre.has("prepend_scheme") ? pre.path("prepend_scheme").asText()
                    : pre.path("add_prefix_space").asBoolean(true) ? "always" : "never";
            prefix = switch (scheme) {
                case "always" -> SpmTokenizer.SpacePrefix.AFTER_TOKENS_UNLESS_SPACE;
                case "first" -> SpmTokenizer.SpacePrefix.FIRST_UNLESS_SPACE;
                case "never" -> SpmTokenizer.SpacePrefix.NEVER;
                default -> throw new UnsupportedTokenizerException(file, "pre_tokenizer.prepend_scheme", scheme, "always, first, never");
            };
            split = pre.path("split").asBoolean(true);
            replace = true;
        } else if (!preType.equals("null")) {
            throw new UnsupportedTokenizerException(file, "pre_tokenizer.type", preType, "Metaspace, null");
        }
        if (!replace) {
            throw new UnsupportedTokenizerException(file, "normalizer", "no ' ' -> \u2581 replacement",
                    "a Replace normalizer or a Metaspace pre-tokenizer");
        }
        int[][] pp = postProcessor(file, root.path("post_processor"), vocab);
        int bos = vocab.id("<s>");
        int eos = vocab.id("</s>");
        boolean prefixes = prepend;
        java.util.function.UnaryOperator<String> normalize = c -> (prefixes ? "\u2581" : "") + c.replace(' ', '\u2581');
        return new SpmTokenizer(vocab, addedTokens(file, root, vocab, normalize), new SpmTokenizer.ByRank(ranks), prefix, split,
                new SpmTokenizer.Fallback(model.path("byte_fallback").asBoolean(false), unkId,
                        model.path("fuse_unk").asBoolean(false)),
                pp[0], pp[1], pp[0].length > 0 ? pp[0][0] : bos, eos, prefix != SpmTokenizer.SpacePrefix.NEVER);
    }
}
