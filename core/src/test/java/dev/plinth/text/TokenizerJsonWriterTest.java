package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A GGUF byte-level BPE vocabulary written as tokenizer.json: HF tokenizers (via DJL) loads it and
 * gives the ids our GGUF tokenizer gives, and our own tokenizer.json reader does too.
 */
class TokenizerJsonWriterTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt-2", "deepseek-coder", "starcoder", "falcon", "deepseek-llm"})
    void writtenTokenizerJsonTokenizesIdentically(String vocab, @TempDir Path tmp) throws Exception {
        Path gguf = SharedData.require("tokenizer-vectors/ggml-vocab-" + vocab + ".gguf");
        try (GgufFile file = GgufFile.open(gguf)) {
            ByteLevelBpeTokenizer fromGguf = ByteLevelBpeTokenizer.fromGguf(file);
            Path json = tmp.resolve("tokenizer.json");
            int dropped = TokenizerJsonWriter.write(fromGguf, json);
            List<String> sample = ConformanceStrings.sample(1000);
            int same = 0;
            int comparable = 0;
            int reread = 0;
            ByteLevelBpeTokenizer fromJson = ByteLevelBpeTokenizer.fromTokenizerJson(json);
            StringBuilder failures = new StringBuilder();
            try (HfReference ref = HfReference.load(json)) {
                for (String s : sample) {
                    int[] want = fromGguf.encode(s, false, true);
                    int[] hf = ref.encode(s);
                    if (java.util.Arrays.equals(hf, fromJson.encode(s, false, true))) {
                        reread++;
                    }
                    // A byte missing from the vocabulary is dropped by both, but llama.cpp keeps it as
                    // a barrier to merges and HF does not: such texts cannot be tokenized alike.
                    if (!representable(fromGguf, s)) {
                        continue;
                    }
                    comparable++;
                    if (java.util.Arrays.equals(want, hf)) {
                        same++;
                    } else if (failures.length() < 4000) {
                        failures.append(LlamaCppVectors.escape(s)).append("\n  gguf ")
                                .append(java.util.Arrays.toString(want)).append("\n  hf   ")
                                .append(java.util.Arrays.toString(hf)).append('\n');
                    }
                }
            }
            System.out.printf("tokenizer.json written from %-15s (%d merges left out): HF = GGUF on %d/%d"
                    + " (of %d; the rest use bytes outside the vocabulary), our reader = HF on %d/%d%n",
                    vocab, dropped, same, comparable, sample.size(), reread, sample.size());
            assertEquals(comparable, same, failures.toString());
            assertTrue(comparable >= sample.size() * 9 / 10, "comparable " + comparable);
            assertEquals(sample.size(), reread);
            assertArrayEquals(fromGguf.encode("Hello", true, false), fromJson.encode("Hello", true, false));
        }
    }

    static boolean representable(ByteLevelBpeTokenizer tok, String s) {
        for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            if (!tok.model().ids().containsKey(String.valueOf(ByteLevel.charOf(b)))) {
                return false;
            }
        }
        return true;
    }

    @org.junit.jupiter.api.Test
    void tokenizerJsonReadThenWrittenTokenizesAsTheOriginal(@TempDir Path tmp) throws Exception {
        Path original = SharedData.require("models/fake-gpt2/tokenizer.json");
        ByteLevelBpeTokenizer tok = ByteLevelBpeTokenizer.fromTokenizerJson(original);
        Path json = tmp.resolve("tokenizer.json");
        assertEquals(0, TokenizerJsonWriter.write(tok, json));
        List<String> sample = ConformanceStrings.sample(1000).subList(0, 300);
        int same = 0;
        try (HfReference a = HfReference.load(original); HfReference b = HfReference.load(json)) {
            for (String s : sample) {
                if (java.util.Arrays.equals(a.encode(s), b.encode(s))) {
                    same++;
                }
            }
        }
        System.out.printf("fake-gpt2 read and written back: HF gives the original's ids on %d/%d%n", same, sample.size());
        assertEquals(sample.size(), same);
    }
}
