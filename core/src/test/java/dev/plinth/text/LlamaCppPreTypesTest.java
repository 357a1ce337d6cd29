package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pre-tokenizers without llama.cpp vectors here (their vocabularies are not in the shared data):
 * the GPT-2 vocabulary pre-tokenized as {@code pre} must give the ids HF tokenizers gives for the
 * tokenizer.json carrying the same regexes, i.e. our emulation of llama.cpp's matchers (hand-written
 * Llama-3, collapsed-category regexes) agrees with the regex engine they imitate.
 */
class LlamaCppPreTypesTest {
    private static final int SAMPLE = 300;

    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe", "qwen2", "qwen35", "deepseek-v3", "gpt-4o", "tekken", "default", "viking"})
    void agreesWithHfOnTheSameRegexes(String pre, @TempDir Path tmp) throws Exception {
        Path gguf = SharedData.require("tokenizer-vectors/ggml-vocab-gpt-2.gguf");
        try (GgufFile file = GgufFile.open(gguf)) {
            ByteLevelBpeTokenizer tok = ByteLevelBpeGguf.load(file, pre);
            Path json = tmp.resolve("tokenizer.json");
            TokenizerJsonWriter.write(tok, json);
            List<String> sample = ConformanceStrings.sample(1000).subList(0, SAMPLE);
            int same = 0;
            StringBuilder failures = new StringBuilder();
            try (HfReference ref = HfReference.load(json)) {
                for (String s : sample) {
                    int[] want = ref.encode(s);
                    int[] got = tok.encode(s, false, true);
                    if (Arrays.equals(want, got)) {
                        same++;
                    } else if (failures.length() < 3000) {
                        failures.append(LlamaCppVectors.escape(s)).append("\n  hf   ").append(Arrays.toString(want))
                                .append("\n  ours ").append(Arrays.toString(got)).append('\n');
                    }
                }
            }
            System.out.printf("pre-tokenizer %-12s vs HF on its regexes: %d/%d identical%n", pre, same, SAMPLE);
            assertEquals(SAMPLE, same, failures.toString());
        }
    }

    @Test
    void unknownPreTypeIsRefusedByName() throws Exception {
        Path gguf = SharedData.require("tokenizer-vectors/ggml-vocab-gpt-2.gguf");
        try (GgufFile file = GgufFile.open(gguf)) {
            UnsupportedTokenizerException e = assertThrows(UnsupportedTokenizerException.class,
                    () -> ByteLevelBpeGguf.load(file, "no-such-pre"));
            assertEquals(true, e.getMessage().contains("no-such-pre"), e.getMessage());
        }
    }
}
