package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.SharedData;
import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TokenizerJsonTest {

    @TempDir
    Path tmp;

    private Path writtenLlamaJson() throws Exception {
        Path json = tmp.resolve("llama.json");
        try (GgufFile gguf = GgufFile.open(SharedData.require("tokenizer-vectors/ggml-vocab-llama-spm.gguf"))) {
            Tokenizers.writeSpmTokenizerJson(gguf, json);
        }
        return json;
    }

    /**
     * The newer Llama/Mistral layout: no normalizer, a Metaspace pre-tokenizer (prepend_scheme
     * "first" or "always", split or not); ids must equal HF's.
     */
    @ParameterizedTest
    @CsvSource({"first,false", "always,false", "always,true", "never,false"})
    void metaspaceVariantsMatchHf(String scheme, boolean split) throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = (ObjectNode) m.readTree(writtenLlamaJson().toFile());
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Metaspace").put("replacement", "\u2581").put("prepend_scheme", scheme).put("split", split);
        Path json = tmp.resolve("metaspace.json");
        m.writeValue(json.toFile(), root);
        Tokenizer plinth = Tokenizers.fromTokenizerJson(json);
        List<String> strings = new ArrayList<>(TokenizerSamples.first(200));
        strings.addAll(List.of(" leading", "  two", "<s>after", "x<s> y</s>z", "", " ", "a  b   c"));
        int same = 0;
        List<String> failures = new ArrayList<>();
        try (HfReference hf = HfReference.load(json)) {
            for (String s : strings) {
                int[] expected = hf.encode(s, true);
                int[] got = plinth.encode(s, true, true);
                if (Arrays.equals(expected, got)) {
                    same++;
                } else if (failures.size() < 5) {
                    failures.add(LlamaCppVectors.escape(s) + "\n  hf     " + Arrays.toString(expected) + "\n  plinth " + Arrays.toString(got));
                }
            }
        }
        System.out.printf("HF tokenizers (DJL) vs Plinth, Metaspace %s split=%s: %d/%d identical%n", scheme, split, same, strings.size());
        assertEquals(strings.size(), same, String.join("\n", failures));
    }

    @Test
    void malformedJsonNamesTheOffset() throws Exception {
        Path json = tmp.resolve("bad.json");
        Files.writeString(json, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0,,}}}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizers.fromTokenizerJson(json));
        assertTrue(e.offset() > 0, e.getMessage());
    }

    @Test
    void unsupportedModelTypeNamesWhatIsSupported() throws Exception {
        Path json = tmp.resolve("unigram.json");
        Files.writeString(json, "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", -1.0]]}}");
        UnsupportedTokenizerException e = assertThrows(UnsupportedTokenizerException.class,
                () -> Tokenizers.fromTokenizerJson(json));
        assertEquals("model.type", e.field());
        assertEquals("Unigram", e.value());
        assertTrue(e.getMessage().contains("WordPiece"), e.getMessage());
    }

    @Test
    void vocabularyWithMissingIdsIsAFormatError() throws Exception {
        Path json = tmp.resolve("holes.json");
        Files.writeString(json, "{\"normalizer\": {\"type\": \"BertNormalizer\"}, \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"},"
                + " \"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"vocab\": {\"[UNK]\": 0, \"a\": 5}}}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizers.fromTokenizerJson(json));
        assertEquals("model.vocab", e.field());
    }

    @Test
    void hostileIdsAreFormatErrors() throws Exception {
        Path json = tmp.resolve("negative.json");
        Files.writeString(json, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": -4}}}");
        assertThrows(ModelFormatException.class, () -> Tokenizers.fromTokenizerJson(json));
        Path huge = tmp.resolve("huge.json");
        Files.writeString(huge, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 2147483647}}}");
        assertThrows(ModelFormatException.class, () -> Tokenizers.fromTokenizerJson(huge));
    }

    @Test
    void writtenJsonReadsBackToTheSameIdsAsTheGguf() throws Exception {
        Path json = writtenLlamaJson();
        Tokenizer fromJson = Tokenizers.fromTokenizerJson(json);
        try (GgufFile gguf = GgufFile.open(SharedData.require("tokenizer-vectors/ggml-vocab-llama-spm.gguf"))) {
            Tokenizer fromGguf = Tokenizers.fromGguf(gguf);
            assertEquals(fromGguf.vocabSize(), fromJson.vocabSize());
            for (String s : TokenizerSamples.first(300)) {
                assertArrayEquals(fromGguf.encode(s, true, true), fromJson.encode(s, true, true), s);
            }
        }
    }
}
