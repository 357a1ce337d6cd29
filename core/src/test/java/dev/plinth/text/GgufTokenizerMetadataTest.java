package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.gguf.GgufWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GGUF tokenizer metadata made from a tokenizer.json: (a) for llama.cpp's vocabulary files exported
 * by Plinth as tokenizer.json, it equals the original file's tokenizer keys; (b) llama.cpp's own
 * tokenizer (libllama, vocab-only load) on a GGUF holding that metadata gives the ids HF tokenizers
 * (DJL) gives on the tokenizer.json, with special tokens added and not.
 */
class GgufTokenizerMetadataTest {
    private static final int STRINGS = 400;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "gpt-2", "deepseek-coder", "starcoder", "falcon"})
    void roundTripOfLlamaCppVocabulary(String name) throws Throwable {
        Path original = SharedData.require("tokenizer-vectors/ggml-vocab-" + name + ".gguf");
        Path json = tmp.resolve("tokenizer.json");
        String arch;
        try (GgufFile gguf = GgufFile.open(original)) {
            arch = gguf.getString("general.architecture", "llama");
            if (gguf.getString("tokenizer.ggml.model", "").equals("llama")) {
                Tokenizers.writeSpmTokenizerJson(gguf, json);
            } else {
                Tokenizers.writeByteLevelTokenizerJson(gguf, json);
            }
            writeConfig(gguf, tmp.resolve("tokenizer_config.json"));
            Map<String, GgufValue> meta = GgufTokenizerMetadata.fromTokenizerJson(json);
            List<String> compared = new ArrayList<>();
            for (String key : List.of("tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                    "tokenizer.ggml.token_type", "tokenizer.ggml.merges", "tokenizer.ggml.bos_token_id",
                    "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id",
                    "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token")) {
                GgufValue want = gguf.metadata().get(key);
                if (want != null) {
                    Object expected = key.equals("tokenizer.ggml.token_type") ? typesAsLoaded(gguf) : canonical(want);
                    assertSame(name + ": " + key, expected, canonical(meta.get(key)));
                    compared.add(key);
                }
            }
            if (meta.containsKey("tokenizer.ggml.scores")) {
                assertScoresOrderLikeOriginal(gguf, meta);
                compared.add("tokenizer.ggml.scores (order)");
            }
            System.out.printf("%s: tokenizer.json -> GGUF metadata equals the original in %s%n", name, compared);
        }
        compareWithHf(name, json, meta(json, arch), true);
    }

    /**
     * The tokenizer_config.json an HF folder carries next to tokenizer.json: the texts of the
     * original's BOS/EOS/UNK/PAD tokens and its add_bos/add_eos flags.
     */
    private static void writeConfig(GgufFile gguf, Path out) throws Exception {
        List<Object> pieces = gguf.metadata().get("tokenizer.ggml.tokens").asArray().elements();
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = json.createObjectNode();
        for (String[] k : new String[][] {{"bos", "bos_token"}, {"eos", "eos_token"}, {"unknown", "unk_token"},
                {"padding", "pad_token"}}) {
            long id = gguf.getLong("tokenizer.ggml." + k[0] + "_token_id", -1);
            if (id >= 0) {
                root.put(k[1], (String) pieces.get((int) id));
            }
        }
        for (String k : new String[] {"add_bos_token", "add_eos_token"}) {
            GgufValue v = gguf.metadata().get("tokenizer.ggml." + k);
            if (v != null) {
                root.put(k, v.asBool());
            }
        }
        json.writeValue(out.toFile(), root);
    }

    /**
     * The file's token types as llama.cpp loads them: it makes end-of-generation and FIM pieces
     * CONTROL whatever the file says (deepseek-coder's {@code <｜fim▁hole｜>} is USER_DEFINED there),
     * and the exported tokenizer.json marks what llama.cpp treats as control as special.
     */
    private static List<Long> typesAsLoaded(GgufFile gguf) throws Exception {
        Vocabulary v = Vocabulary.fromGguf(gguf);
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            out.add((long) v.type(i));
        }
        return out;
    }

    private static void assertSame(String what, Object want, Object got) {
        if (want instanceof List<?> a && got instanceof List<?> b) {
            for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
                assertEquals(a.get(i), b.get(i), what + " at index " + i);
            }
            assertEquals(a.size(), b.size(), what + ": length");
        }
        assertEquals(want, got, what);
    }

    @ParameterizedTest
    @ValueSource(strings = {"models/fake-gpt2", "models/bert-tiniest"})
    void hfFolderTokenizer(String folder) throws Throwable {
        Path dir = SharedData.require(folder);
        Path json = dir.resolve("tokenizer.json");
        Map<String, GgufValue> meta = GgufTokenizerMetadata.fromTokenizerJson(json);
        String arch = meta.get("tokenizer.ggml.model").asString().equals("bert") ? "bert" : "gpt2";
        Path gguf = meta(json, arch);
        compareWithHf(folder, json, gguf, !arch.equals("bert"));
        if (arch.equals("bert")) {
            compareWithPlinth(folder, gguf);
            // bert-tiniest carries bert-base-uncased's vocabulary, as BGE does: llama.cpp's converter wrote that one
            try (GgufFile bge = GgufFile.open(SharedData.require("tokenizer-vectors/ggml-vocab-bert-bge.gguf"))) {
                for (String key : List.of("tokenizer.ggml.tokens", "tokenizer.ggml.token_type",
                        "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.seperator_token_id",
                        "tokenizer.ggml.padding_token_id", "tokenizer.ggml.cls_token_id", "tokenizer.ggml.mask_token_id",
                        "tokenizer.ggml.token_type_count")) {
                    assertSame(folder + " vs bert-bge: " + key, canonical(bge.metadata().get(key)), canonical(meta.get(key)));
                }
            }
        }
    }

    private Path meta(Path json, String arch) throws Exception {
        Map<String, GgufValue> meta = GgufTokenizerMetadata.fromTokenizerJson(json);
        Path out = tmp.resolve("vocab.gguf");
        new GgufWriter().put("general.architecture", GgufValue.of(arch)).put("general.name", GgufValue.of("t"))
                .putAll(meta).write(out);
        return out;
    }

    /** llama.cpp and Plinth's GGUF tokenizer agree on the converted file. */
    private static void compareWithPlinth(String name, Path gguf) throws Throwable {
        List<String> inputs = ConformanceStrings.sample(STRINGS);
        int same = 0;
        try (LlamaCppReference llama = LlamaCppReference.load(gguf); GgufFile file = GgufFile.open(gguf)) {
            Tokenizer plinth = Tokenizers.fromGguf(file);
            for (String s : inputs) {
                boolean ok = true;
                for (boolean add : new boolean[] {false, true}) {
                    ok &= Arrays.equals(llama.encode(s, add, true), plinth.encode(s, add, true));
                }
                same += ok ? 1 : 0;
            }
        }
        System.out.printf("%s: llama.cpp vs Plinth on the converted GGUF: %d/%d strings identical%n", name, same,
                inputs.size());
        assertEquals(inputs.size(), same);
    }

    private static void compareWithHf(String name, Path json, Path gguf, boolean strict) throws Throwable {
        List<String> inputs = ConformanceStrings.sample(STRINGS);
        int same = 0;
        List<String> failures = new ArrayList<>();
        try (LlamaCppReference llama = LlamaCppReference.load(gguf); HfReference hf = HfReference.load(json)) {
            for (String s : inputs) {
                boolean ok = true;
                for (boolean add : new boolean[] {false, true}) {
                    int[] want = hf.encode(s, add);
                    int[] got = llama.encode(s, add, true);
                    if (!Arrays.equals(want, got)) {
                        ok = false;
                        if (failures.size() < 5) {
                            failures.add((add ? "[add] " : "") + LlamaCppVectors.escape(s) + "\n  hf    "
                                    + Arrays.toString(want) + "\n  llama " + Arrays.toString(got));
                        }
                    }
                }
                same += ok ? 1 : 0;
            }
        }
        System.out.printf("%s: llama.cpp on the converted GGUF vs HF tokenizers on tokenizer.json: %d/%d strings "
                + "identical (add special off and on)%n", name, same, inputs.size());
        assertTrue(!strict || same == inputs.size(), (inputs.size() - same) + " differ:\n" + String.join("\n", failures));
    }

    /** The converted scores rank merged pieces as the original scores do (the values themselves differ). */
    private static void assertScoresOrderLikeOriginal(GgufFile gguf, Map<String, GgufValue> meta) {
        float[] want = gguf.metadata().get("tokenizer.ggml.scores").asArray().toFloatArray();
        float[] got = meta.get("tokenizer.ggml.scores").asArray().toFloatArray();
        long[] types = meta.get("tokenizer.ggml.token_type").asArray().toLongArray();
        List<Integer> normal = new ArrayList<>();
        List<String> tokens = meta.get("tokenizer.ggml.tokens").asArray().elements().stream().map(o -> (String) o).toList();
        for (int i = 0; i < got.length; i++) {
            if (types[i] == Vocabulary.NORMAL && tokens.get(i).codePointCount(0, tokens.get(i).length()) > 1) {
                normal.add(i);
            }
        }
        int inversions = 0;
        for (int k = 1; k < normal.size(); k++) {
            int a = normal.get(k - 1);
            int b = normal.get(k);
            if (Float.compare(want[a], want[b]) != Float.compare(got[a], got[b]) && want[a] != want[b]) {
                inversions++;
            }
        }
        assertEquals(0, inversions, "adjacent multi-character pieces ordered differently by score");
    }

    private static Object canonical(GgufValue v) {
        if (v == null) {
            return null;
        }
        return switch (v.type()) {
            case ARRAY -> v.asArray().elements().stream().map(e -> e instanceof Number n ? (Object) n.longValue() : e).toList();
            case BOOL -> v.asBool();
            case STRING -> v.asString();
            default -> v.asLong();
        };
    }

    /** The pre-tokenizer names of real HF files' regexes (Llama-3, Qwen2) and of GPT-2's plain ByteLevel. */
    @org.junit.jupiter.api.Test
    void preTokenizerNamesFromRealRegexes() throws Exception {
        String llama3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
                + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        String qwen2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        assertEquals("llama-bpe", pre(split(llama3), true));
        assertEquals("qwen2", pre(split(qwen2), false));
        assertEquals("gpt-2", pre("{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true}", false));
        assertThrows(UnsupportedTokenizerException.class, () -> pre(split("\\p{L}+|x"), false));
    }

    private static String split(String regex) throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        return "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": "
                + json.writeValueAsString(regex) + "}, \"behavior\": \"Isolated\", \"invert\": false}, "
                + "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": false}]}";
    }

    private String pre(String preTokenizer, boolean ignoreMerges) throws Exception {
        Path json = tmp.resolve("pre.json");
        Files.writeString(json, "{\"pre_tokenizer\": " + preTokenizer + ", \"added_tokens\": [], \"model\": {\"type\": "
                + "\"BPE\", \"ignore_merges\": " + ignoreMerges + ", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, "
                + "\"merges\": [\"a b\"]}}");
        return GgufTokenizerMetadata.fromTokenizerJson(json, null).get("tokenizer.ggml.pre").asString();
    }

    /** SentencePiece-style details: Metaspace prepends ▁, byte and unknown types, -rank scores, template specials. */
    @org.junit.jupiter.api.Test
    void sentencePieceStyleDetails() throws Exception {
        Path json = tmp.resolve("spm.json");
        Files.writeString(json, """
                {"added_tokens": [{"id": 0, "content": "<unk>", "special": true}, {"id": 1, "content": "<s>", "special": true},
                  {"id": 2, "content": "</s>", "special": true}],
                 "normalizer": null,
                 "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": false},
                 "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                   {"Sequence": {"id": "A", "type_id": 0}}], "pair": [], "special_tokens": {}},
                 "model": {"type": "BPE", "byte_fallback": true, "unk_token": "<unk>",
                   "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0x41>": 3, "\u2581": 4, "a": 5, "b": 6, "ab": 7, "\u2581ab": 8, "ba": 9},
                   "merges": [["a", "b"], "\u2581 ab"]}}""");
        Map<String, GgufValue> meta = GgufTokenizerMetadata.fromTokenizerJson(json, null);
        assertEquals("llama", meta.get("tokenizer.ggml.model").asString());
        assertEquals(List.of(2L, 3L, 3L, 6L, 1L, 1L, 1L, 1L, 1L, 1L), canonical(meta.get("tokenizer.ggml.token_type")));
        float[] scores = meta.get("tokenizer.ggml.scores").asArray().toFloatArray();
        assertEquals(-0f, scores[7], 0f);
        assertEquals(-1f, scores[8], 0f);
        assertTrue(scores[9] < -1f, "a piece no merge makes ranks after every merge");
        assertTrue(meta.get("tokenizer.ggml.add_space_prefix").asBool());
        assertTrue(meta.get("tokenizer.ggml.add_bos_token").asBool());
        assertEquals(false, meta.get("tokenizer.ggml.add_eos_token").asBool());
        assertEquals(1L, meta.get("tokenizer.ggml.bos_token_id").asLong());
        assertEquals(0L, meta.get("tokenizer.ggml.unknown_token_id").asLong());
    }

    /** Hostile files get a specific exception naming the file and field. */
    @org.junit.jupiter.api.Test
    void hostileInput() throws Exception {
        Path json = tmp.resolve("bad.json");
        for (String[] c : new String[][] {
                {"{\"model\": ", "not valid JSON"},
                {"[1, 2]", "not a JSON object"},
                {"{\"model\": {\"type\": \"BPE\", \"vocab\": 3, \"merges\": []}}", "model.vocab"},
                {"{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0, \"b\": 2}}}", "id 1 is missing"},
                {"{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": -4}}}", "no valid id"},
                {"{\"model\": {\"type\": \"BPE\", \"byte_fallback\": true, \"vocab\": {\"a\": 0}, \"merges\": [\"ab\"]}}", "has no space"},
                {"{\"model\": {\"type\": \"BPE\", \"byte_fallback\": true, \"vocab\": {\"a\": 0}, \"merges\": [7]}}", "neither"}}) {
            Files.writeString(json, c[0]);
            var e = assertThrows(dev.plinth.io.ModelFormatException.class,
                    () -> GgufTokenizerMetadata.fromTokenizerJson(json, null), c[0]);
            assertTrue(e.getMessage().contains(c[1]) && e.getMessage().contains("bad.json"), e.getMessage());
        }
        Files.writeString(json, "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0.0]]}}");
        assertThrows(UnsupportedTokenizerException.class, () -> GgufTokenizerMetadata.fromTokenizerJson(json, null));
    }
}
