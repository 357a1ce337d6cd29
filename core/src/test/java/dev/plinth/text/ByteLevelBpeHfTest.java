package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Byte-level BPE from tokenizer.json against Hugging Face tokenizers (via DJL) on the conformance sample. */
class ByteLevelBpeHfTest {

    @Test
    void fakeGpt2MatchesHuggingFace() throws Exception {
        Path json = SharedData.require("models/fake-gpt2/tokenizer.json");
        Tokenizer tok = Tokenizers.fromTokenizerJson(json);
        assertTrue(tok instanceof ByteLevelBpeTokenizer, tok.getClass().getName());
        assertEquals(50257, tok.vocabSize());
        List<String> sample = new ArrayList<>(ConformanceStrings.sample(1000));
        sample.add("hello <|endoftext|> world<|endoftext|>");
        int[] counts = compare(json, tok, sample);
        System.out.printf("HF conformance fake-gpt2: %d/%d identical, %d round-trip%n", counts[0], sample.size(), counts[1]);
        assertEquals(sample.size(), counts[0]);
        assertEquals(sample.size(), counts[1]);
    }

    @Test
    void fakeGpt2MatchesHuggingFaceOnRandomCodePoints() throws Exception {
        Path json = SharedData.require("models/fake-gpt2/tokenizer.json");
        Tokenizer tok = Tokenizers.fromTokenizerJson(json);
        java.util.Random random = new java.util.Random(11);
        List<String> sample = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            sample.add(ByteLevelBpeRobustnessTest.randomText(random));
        }
        int[] counts = compare(json, tok, sample);
        System.out.printf("HF conformance fake-gpt2, random code points: %d/%d identical%n", counts[0], sample.size());
        assertEquals(sample.size(), counts[0]);
    }

    /** fake-gpt2 with a Unicode normalizer (Qwen2's tokenizer.json uses NFC), against HF. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"NFC", "NFKC"})
    void normalizerMatchesHuggingFace(String form, @org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path original = SharedData.require("models/fake-gpt2/tokenizer.json");
        String text = java.nio.file.Files.readString(original);
        Path json = tmp.resolve("tokenizer.json");
        java.nio.file.Files.writeString(json, text.replaceFirst("\"normalizer\": null",
                "\"normalizer\": {\"type\": \"" + form + "\"}"));
        Tokenizer tok = Tokenizers.fromTokenizerJson(json);
        List<String> sample = new ArrayList<>(ConformanceStrings.sample(1000).subList(0, 300));
        sample.add("e\u0301 \u212b \ufb01 \u2460 \uff21");
        int same = 0;
        try (HfReference ref = HfReference.load(json)) {
            for (String s : sample) {
                if (Arrays.equals(ref.encode(s), tok.encode(s, false, true))) {
                    same++;
                }
            }
        }
        System.out.printf("HF conformance fake-gpt2 with %s normalizer: %d/%d identical%n", form, same, sample.size());
        assertEquals(sample.size(), same);
    }

    /** {ids identical to HF, decode(encode(s)) == s}; fails with the first mismatches. */
    static int[] compare(Path json, Tokenizer tok, List<String> sample) throws Exception {
        int same = 0;
        int roundTrip = 0;
        List<String> failures = new ArrayList<>();
        try (HfReference ref = HfReference.load(json)) {
            for (String s : sample) {
                int[] want = ref.encode(s);
                int[] got = tok.encode(s, false, true);
                if (Arrays.equals(want, got)) {
                    same++;
                } else if (failures.size() < 10) {
                    failures.add(LlamaCppVectors.escape(s) + "\n  want " + Arrays.toString(want)
                            + "\n  got  " + Arrays.toString(got));
                }
                if (tok.decode(got).equals(s)) {
                    roundTrip++;
                } else if (failures.size() < 10) {
                    failures.add("round trip " + LlamaCppVectors.escape(s) + " -> "
                            + LlamaCppVectors.escape(tok.decode(got)));
                }
            }
        }
        if (!failures.isEmpty()) {
            System.out.println(String.join("\n", failures));
        }
        return new int[] {same, roundTrip};
    }

    @Test
    void gptNeoxLoadsAndRoundTrips() throws Exception {
        Path gguf = SharedData.require("tokenizer-vectors/ggml-vocab-gpt-neox.gguf");
        try (GgufFile file = GgufFile.open(gguf)) {
            Tokenizer tok = Tokenizers.fromGguf(file);
            assertEquals(50432, tok.vocabSize());
            int ok = 0;
            List<String> sample = ConformanceStrings.sample(1000);
            for (String s : sample) {
                int[] ids = tok.encode(s, false, false);
                assertEquals(s, tok.decode(ids), () -> "round trip of " + LlamaCppVectors.escape(s));
                ok++;
            }
            System.out.printf("gpt-neox round trip: %d/%d%n", ok, sample.size());
            int[] hello = tok.encode("Hello world", false, false);
            assertTrue(hello.length == 2, Arrays.toString(hello));
            assertEquals(" world", tok.decode(new int[] {hello[1]}));
        }
    }

    @Test
    void addSpecialAndParseSpecial() throws Exception {
        Path gguf = SharedData.require("tokenizer-vectors/ggml-vocab-gpt-2.gguf");
        try (GgufFile file = GgufFile.open(gguf)) {
            ByteLevelBpeTokenizer tok = ByteLevelBpeTokenizer.fromGguf(file);
            int eot = tok.eosId();
            assertEquals("<|endoftext|>", tok.piece(eot));
            int[] parsed = tok.encode("a<|endoftext|>b", false, true);
            assertArrayEquals(new int[] {tok.encode("a", false, false)[0], eot, tok.encode("b", false, false)[0]}, parsed);
            int[] plain = tok.encode("a<|endoftext|>b", false, false);
            assertTrue(plain.length > 3 && Arrays.stream(plain).noneMatch(i -> i == eot));
            assertEquals("a<|endoftext|>b", tok.decode(parsed));
        }
    }
}
