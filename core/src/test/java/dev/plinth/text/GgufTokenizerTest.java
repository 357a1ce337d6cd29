package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufFile;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufTokenizerTest {

    @TempDir
    Path tmp;

    @Test
    void llama2TinyRandomHelloWorldWithBos() throws Exception {
        try (GgufFile gguf = GgufFile.open(SharedData.require("models/llama-2-tiny-random/llama-2-tiny-random.gguf"))) {
            Tokenizer t = Tokenizers.fromGguf(gguf);
            assertEquals(32000, t.vocabSize());
            assertEquals(1, t.bosId());
            assertEquals(2, t.eosId());
            assertArrayEquals(new int[] {1, 15043, 3186}, t.encode("Hello world", true, false));
            assertArrayEquals(new int[] {15043, 3186}, t.encode("Hello world", false, false));
            assertEquals("\u2581Hello", t.piece(15043));
            assertEquals("Hello world", t.decode(new int[] {15043, 3186}));
        }
    }

    @Test
    void specialTokensAreSplitOnlyWhenParsed() throws Exception {
        try (GgufFile gguf = GgufFile.open(SharedData.require("tokenizer-vectors/ggml-vocab-llama-spm.gguf"))) {
            Tokenizer t = Tokenizers.fromGguf(gguf);
            // llama.cpp puts the space prefix in front of text that follows a special token
            assertArrayEquals(new int[] {1, 15043, 2}, t.encode("<s>Hello</s>", false, true));
            int[] plain = t.encode("<s>Hello</s>", false, false);
            for (int id : plain) {
                assertTrue(id != 1 && id != 2, "special token parsed although parseSpecial is false");
            }
            assertEquals("<s>Hello</s>", t.decode(plain));
            assertEquals("<s> Hello</s>", t.decode(new int[] {1, 15043, 2}));
        }
    }

    @Test
    void baichuanLoadsAndRoundTrips() throws Exception {
        try (GgufFile gguf = GgufFile.open(SharedData.require("tokenizer-vectors/ggml-vocab-baichuan.gguf"))) {
            Tokenizer t = Tokenizers.fromGguf(gguf);
            assertEquals(64000, t.vocabSize());
            int roundTrips = 0;
            List<String> inputs = LlamaCppVectors.load("ggml-vocab-llama-spm").inputs();
            for (String s : inputs) {
                int[] ids = t.encode(s, true, false);
                assertEquals(t.bosId(), ids[0]);
                for (int id : ids) {
                    assertTrue(id >= 0 && id < t.vocabSize());
                }
                if (t.decode(java.util.Arrays.copyOfRange(ids, 1, ids.length)).equals(s)) {
                    roundTrips++;
                }
            }
            System.out.printf("baichuan: %d/%d llama-spm vector inputs decode back exactly%n", roundTrips, inputs.size());
            assertEquals(inputs.size(), roundTrips);
        }
    }

    @Test
    void spmDecodeInvertsEncodeExactly() throws Exception {
        for (String name : new String[] {"ggml-vocab-llama-spm", "ggml-vocab-phi-3"}) {
            LlamaCppVectors v = LlamaCppVectors.load(name);
            List<String> strings = new ArrayList<>(v.inputs());
            strings.addAll(TokenizerSamples.first(500));
            try (GgufFile gguf = GgufFile.open(v.vocab())) {
                Tokenizer t = Tokenizers.fromGguf(gguf);
                int exact = 0;
                for (String s : strings) {
                    if (t.decode(t.encode(s, false, false)).equals(s)) {
                        exact++;
                    }
                }
                System.out.printf("%s: decode(encode(s)) == s for %d/%d strings%n", name, exact, strings.size());
                assertEquals(strings.size(), exact);
            }
        }
    }

    /**
     * WordPiece loses case, accents, control characters and the exact whitespace; what remains is
     * the word sequence: without spaces, the decoded text equals the normalised words.
     */
    @Test
    void wordPieceDecodeGivesNormalisedWords() throws Exception {
        LlamaCppVectors v = LlamaCppVectors.load("ggml-vocab-bert-bge");
        try (GgufFile gguf = GgufFile.open(v.vocab())) {
            WordPieceTokenizer t = (WordPieceTokenizer) Tokenizers.fromGguf(gguf);
            int checked = 0;
            List<String> strings = new ArrayList<>(v.inputs());
            strings.addAll(TokenizerSamples.first(500));
            for (String s : strings) {
                int[] ids = t.encode(s, false, false);
                if (java.util.Arrays.stream(ids).anyMatch(id -> id == 100)) {
                    continue;
                }
                assertEquals(String.join("", t.llamaCppWords(s)), t.decode(ids).replace(" ", ""), s);
                checked++;
            }
            System.out.printf("bert-bge: %d/%d strings without [UNK] decode to their normalised words%n", checked, strings.size());
            assertTrue(checked > strings.size() / 2);
            assertArrayEquals(new int[] {101, 7592, 2088, 102}, t.encode("Hello world", true, false));
        }
    }

    @Test
    void unsupportedModelNamesWhatIsSupported() throws Exception {
        Path file = tmp.resolve("t5.gguf");
        Files.write(file, ggufWithModel("t5"));
        try (GgufFile gguf = GgufFile.open(file)) {
            UnsupportedTokenizerException e = assertThrows(UnsupportedTokenizerException.class, () -> Tokenizers.fromGguf(gguf));
            assertEquals("tokenizer.ggml.model", e.field());
            assertEquals("t5", e.value());
            assertTrue(e.getMessage().contains("llama") && e.getMessage().contains("bert"), e.getMessage());
        }
    }

    @Test
    void missingVocabularyIsAFormatError() throws Exception {
        Path file = tmp.resolve("novocab.gguf");
        Files.write(file, ggufWithModel("llama"));
        try (GgufFile gguf = GgufFile.open(file)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizers.fromGguf(gguf));
            assertEquals("tokenizer.ggml.tokens", e.field());
        }
    }

    /** A GGUF v3 file with no tensors and the single key tokenizer.ggml.model. */
    static byte[] ggufWithModel(String model) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(0).putLong(1);
        byte[] key = "tokenizer.ggml.model".getBytes(StandardCharsets.UTF_8);
        b.putLong(key.length).put(key).putInt(8);
        byte[] value = model.getBytes(StandardCharsets.UTF_8);
        b.putLong(value.length).put(value);
        out.write(b.array(), 0, b.position());
        return out.toByteArray();
    }
}
