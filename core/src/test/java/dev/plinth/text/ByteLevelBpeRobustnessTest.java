package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile tokenizer.json files and seeded random text: specific exceptions, exact round trips. */
class ByteLevelBpeRobustnessTest {

    private static final String GOOD = """
            {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3}, "merges": ["a b"]},
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
             "decoder": {"type": "ByteLevel"}, "added_tokens": []}""";

    private static Path write(Path dir, String json) throws Exception {
        Path p = dir.resolve("tokenizer.json");
        Files.writeString(p, json, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void tinyTokenizerJsonWorks(@TempDir Path dir) throws Exception {
        Tokenizer t = Tokenizers.fromTokenizerJson(write(dir, GOOD));
        assertArrayEquals(new int[] {2, 3, 0}, t.encode("ab a", false, false));
        assertArrayEquals(new int[] {2, 0}, t.encode("abxa", false, false), "x is not in the vocabulary: dropped, as HF");
        assertEquals("ab a", t.decode(new int[] {2, 3, 0}));
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {4}));
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {-1}));
    }

    @Test
    void hostileTokenizerJsonGivesSpecificErrors(@TempDir Path dir) throws Exception {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> Tokenizers.fromTokenizerJson(write(dir, GOOD.replace("\"a b\"", "\"a c\""))));
        assertEquals("model.merges[0]", e.field());
        e = assertThrows(ModelFormatException.class,
                () -> Tokenizers.fromTokenizerJson(write(dir, GOOD.replace("\"ab\": 2", "\"ab\": 2147483647"))));
        assertTrue(e.getMessage().contains("2147483647"), e.getMessage());
        e = assertThrows(ModelFormatException.class,
                () -> Tokenizers.fromTokenizerJson(write(dir, GOOD.replace("\"ab\": 2", "\"ab\": -5"))));
        assertTrue(e.getMessage().contains("-5"), e.getMessage());
        assertThrows(ModelFormatException.class, () -> Tokenizers.fromTokenizerJson(write(dir, GOOD.substring(0, 60))));
        assertThrows(ModelFormatException.class,
                () -> Tokenizers.fromTokenizerJson(write(dir, GOOD.replace("[\"a b\"]", "[\"ab\"]"))));
        UnsupportedTokenizerException u = assertThrows(UnsupportedTokenizerException.class,
                () -> Tokenizers.fromTokenizerJson(write(dir, GOOD.replace("\"type\": \"ByteLevel\", \"add",
                        "\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Whitespace\"}, {\"type\": \"ByteLevel\"}], \"add"))));
        assertTrue(u.getMessage().contains("Whitespace"), u.getMessage());
        ModelFormatException r = assertThrows(ModelFormatException.class, () -> Tokenizers.fromTokenizerJson(write(dir,
                GOOD.replace("\"type\": \"ByteLevel\", \"add", "\"type\": \"Sequence\", \"pretokenizers\": [{\"type\":"
                        + " \"Split\", \"pattern\": {\"Regex\": \"(\"}, \"behavior\": \"Isolated\"}, {\"type\": \"ByteLevel\"}], \"add"))));
        assertEquals("pre_tokenizer.pattern.Regex", r.field());
    }

    /** Random code points of every kind (controls, unassigned, surrogate pairs, marks): exact round trip. */
    @Test
    void seededRandomTextRoundTripsExactly() throws Exception {
        Path gguf = SharedData.require("tokenizer-vectors/ggml-vocab-gpt-2.gguf");
        Random random = new Random(7);
        try (GgufFile file = GgufFile.open(gguf)) {
            for (String pre : new String[] {"gpt-2", "deepseek-llm", "llama-bpe", "gpt-4o"}) {
                ByteLevelBpeTokenizer tok = ByteLevelBpeGguf.load(file, pre);
                for (int i = 0; i < 500; i++) {
                    String s = randomText(random);
                    int[] ids = tok.encode(s, false, false);
                    assertEquals(s, tok.decode(ids), () -> pre + " " + LlamaCppVectors.escape(s) + " " + Arrays.toString(ids));
                    assertArrayEquals(ids, tok.encode(s, false, false), "cached result is the same");
                }
            }
        }
    }

    static String randomText(Random r) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(40);
        for (int i = 0; i < n; i++) {
            int cp = switch (r.nextInt(6)) {
                case 0 -> r.nextInt(0x80);
                case 1 -> 0x80 + r.nextInt(0x780);
                case 2 -> " \t\n\r'".charAt(r.nextInt(5));
                case 3 -> 0x10000 + r.nextInt(0x20000);
                case 4 -> 0xE000 + r.nextInt(0x2000);
                default -> r.nextInt(0xD800);
            };
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }
}
