package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * llama.cpp's own tokenizer test vectors ({@code tests/test-tokenizer-0}) for the byte-level BPE
 * vocabularies: every input must give exactly llama.cpp's ids (add_special=false, parse_special=false).
 */
class ByteLevelBpeVectorsTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt-2", "deepseek-coder", "deepseek-llm", "falcon", "mpt", "refact", "starcoder"})
    void matchesLlamaCpp(String vocab) throws Exception {
        Path dir = SharedData.require("tokenizer-vectors");
        Path gguf = dir.resolve("ggml-vocab-" + vocab + ".gguf");
        List<String> inputs = ConformanceStrings.readVectorInputs(dir.resolve("ggml-vocab-" + vocab + ".gguf.inp"));
        List<String> expected = Files.readAllLines(dir.resolve("ggml-vocab-" + vocab + ".gguf.out"));
        assertEquals(inputs.size(), expected.size(), "inputs vs expected lines");
        try (GgufFile file = GgufFile.open(gguf)) {
            ByteLevelBpeTokenizer tok = ByteLevelBpeTokenizer.fromGguf(file);
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                int[] want = parseIds(expected.get(i));
                int[] got = tok.encode(inputs.get(i), false, false);
                if (!Arrays.equals(want, got)) {
                    failures.add("input " + i + " " + escape(inputs.get(i)) + "\n  want " + Arrays.toString(want)
                            + "\n  got  " + Arrays.toString(got));
                }
            }
            System.out.printf("llama.cpp vectors %-15s %d/%d pass%n", vocab, inputs.size() - failures.size(),
                    inputs.size());
            assertTrue(failures.isEmpty(), String.join("\n", failures));
        }
    }

    static int[] parseIds(String line) {
        String t = line.strip();
        return t.isEmpty() ? new int[0] : Arrays.stream(t.split(" ")).mapToInt(Integer::parseInt).toArray();
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(c -> sb.append(c < 0x20 || c > 0x7e ? String.format("\\u{%x}", c) : Character.toString(c)));
        return sb.append('"').toString();
    }
}
