package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.gguf.GgufWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
    private static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
    private static final int VOCAB = 2000;
    private static final int STRINGS = 1200;

    @TempDir
    Path tmp;

    /** A few hundred KB of shared data: TinyStories, Brown and HumanEval, stories joined by <|endoftext|>. */
    private static List<String> corpus() throws IOException {
        List<String> docs = new ArrayList<>();
        String stories = head(SharedData.require("tinystories/tinystories-train-sample.txt"), 200_000);
        StringBuilder doc = new StringBuilder();
        for (String line : stories.split("\n")) {
            doc.append(line).append('\n');
            if (doc.length() > 4000) {
                docs.add(doc.toString());
                doc.setLength(0);
            } else if (line.isBlank()) {
                doc.append("<|endoftext|>");
            }
        }
        docs.add(doc.toString());
        ObjectMapper json = new ObjectMapper();
        for (String line : head(SharedData.require("brown/brown.jsonl"), 150_000).split("\n")) {
            if (line.endsWith("}")) {
                docs.add(json.readTree(line).path("text").asText());
            }
        }
        for (String line : head(SharedData.require("humaneval/HumanEval.jsonl"), 100_000).split("\n")) {
            if (line.endsWith("}")) {
                var n = json.readTree(line);
                docs.add(n.path("prompt").asText() + n.path("canonical_solution").asText());
            }
        }
        return docs;
    }

    private static String head(Path file, int bytes) throws IOException {
        byte[] all = Files.readAllBytes(file);
        return new String(all, 0, Math.min(bytes, all.length), StandardCharsets.UTF_8);
    }

    private static ByteLevelBpeTokenizer trainShared(String pre, int threads) throws IOException {
        List<String> docs = corpus();
        long bytes = docs.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum();
        AtomicInteger merges = new AtomicInteger();
        long t0 = System.nanoTime();
        ByteLevelBpeTokenizer tok = new BpeTrainer(VOCAB, pre, SPECIALS, threads, p -> merges.set(p.merges()))
                .train(docs);
        System.out.printf("BpeTrainer %s: %d documents, %d bytes -> vocab %d, %d merges in %.2f s (%s)%n",
                pre, docs.size(), bytes, tok.vocabSize(), merges.get(), (System.nanoTime() - t0) / 1e9,
                threads == 0 ? "all cores" : threads + " thread(s)");
        assertEquals(VOCAB, tok.vocabSize());
        assertEquals(tok.model().merges().size(), merges.get());
        return tok;
    }

    @Test
    void hfTokenizersLoadsTheExportAndAgreesWithPlinth() throws Exception {
        for (String pre : List.of("gpt-2", "llama-bpe")) {
            ByteLevelBpeTokenizer tok = trainShared(pre, 0);
            Path json = tmp.resolve(pre + "-tokenizer.json");
            BpeTrainer.writeTokenizerJson(tok, json);
            Tokenizer reloaded = ByteLevelBpeTokenizer.fromTokenizerJson(json);
            List<String> inputs = withSpecials(ConformanceStrings.sample(STRINGS));
            int same = 0;
            List<String> failures = new ArrayList<>();
            try (HfReference hf = HfReference.load(json)) {
                for (String s : inputs) {
                    int[] ours = tok.encode(s, false, true);
                    int[] theirs = hf.encode(s, false);
                    boolean ok = Arrays.equals(ours, theirs) && Arrays.equals(ours, reloaded.encode(s, false, true));
                    same += ok ? 1 : 0;
                    if (!ok && failures.size() < 5) {
                        failures.add(LlamaCppVectors.escape(s) + "\n  plinth " + Arrays.toString(ours) + "\n  hf     "
                                + Arrays.toString(theirs));
                    }
                }
            }
            System.out.printf("BpeTrainer %s: HF tokenizers vs Plinth on the exported tokenizer.json: %d/%d strings "
                    + "identical%n", pre, same, inputs.size());
            assertEquals(inputs.size(), same, String.join("\n", failures));
        }
    }

    @Test
    void llamaCppLoadsTheGgufMetadataAndAgreesWithPlinth() throws Throwable {
        for (String pre : List.of("gpt-2", "llama-bpe")) {
            ByteLevelBpeTokenizer tok = trainShared(pre, 0);
            Path gguf = tmp.resolve(pre + "-vocab.gguf");
            new GgufWriter().put("general.architecture", GgufValue.of("llama")).put("general.name", GgufValue.of("bpe"))
                    .putAll(BpeTrainer.ggufMetadata(tok)).write(gguf);
            List<String> inputs = withSpecials(ConformanceStrings.sample(STRINGS));
            int same = 0;
            List<String> failures = new ArrayList<>();
            try (LlamaCppReference llama = LlamaCppReference.load(gguf); GgufFile file = GgufFile.open(gguf)) {
                Tokenizer fromGguf = ByteLevelBpeTokenizer.fromGguf(file);
                for (String s : inputs) {
                    boolean ok = true;
                    for (boolean add : new boolean[] {false, true}) {
                        int[] ours = tok.encode(s, add, true);
                        int[] theirs = llama.encode(s, add, true);
                        boolean agree = Arrays.equals(ours, theirs) && Arrays.equals(ours, fromGguf.encode(s, add, true));
                        if (!agree && failures.size() < 5) {
                            failures.add(LlamaCppVectors.escape(s) + "\n  plinth " + Arrays.toString(ours)
                                    + "\n  llama  " + Arrays.toString(theirs));
                        }
                        ok &= agree;
                    }
                    same += ok ? 1 : 0;
                }
            }
            System.out.printf("BpeTrainer %s: llama.cpp vs Plinth on the GGUF metadata: %d/%d strings identical%n",
                    pre, same, inputs.size());
            assertEquals(inputs.size(), same, String.join("\n", failures));
        }
    }

    /** The GGUF metadata equals what the tokenizer.json converter derives from the exported tokenizer.json. */
    @Test
    void ggufMetadataMatchesTheTokenizerJsonConversion() throws Exception {
        for (String pre : List.of("gpt-2", "llama-bpe")) {
            ByteLevelBpeTokenizer tok = trainShared(pre, 0);
            Path json = tmp.resolve(pre + ".json");
            BpeTrainer.writeTokenizerJson(tok, json);
            var fromJson = GgufTokenizerMetadata.fromTokenizerJson(json, null);
            var ours = BpeTrainer.ggufMetadata(tok);
            for (String key : List.of("tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                    "tokenizer.ggml.token_type", "tokenizer.ggml.merges")) {
                assertEquals(fromJson.get(key), ours.get(key), pre + " " + key);
            }
        }
    }

    @Test
    void sameCorpusAndSettingsGiveByteIdenticalFiles() throws Exception {
        ByteLevelBpeTokenizer a = trainShared("gpt-2", 0);
        ByteLevelBpeTokenizer b = trainShared("gpt-2", 1);
        BpeTrainer.writeTokenizerJson(a, tmp.resolve("a.json"));
        BpeTrainer.writeTokenizerJson(b, tmp.resolve("b.json"));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a.json")), Files.readAllBytes(tmp.resolve("b.json")));
        new GgufWriter().putAll(BpeTrainer.ggufMetadata(a)).write(tmp.resolve("a.gguf"));
        new GgufWriter().putAll(BpeTrainer.ggufMetadata(b)).write(tmp.resolve("b.gguf"));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a.gguf")), Files.readAllBytes(tmp.resolve("b.gguf")));
    }

    @Test
    void decodeInvertsEncode() throws Exception {
        ByteLevelBpeTokenizer tok = trainShared("gpt-2", 0);
        int checked = 0;
        for (String s : withSpecials(ConformanceStrings.sample(STRINGS))) {
            if (!new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(s)) {
                continue; // unpaired surrogates have no UTF-8 form
            }
            assertEquals(s, tok.decode(tok.encode(s, false, true)), LlamaCppVectors.escape(s));
            checked++;
        }
        System.out.printf("BpeTrainer: decode(encode(s)) == s on %d strings%n", checked);
        assertTrue(checked >= 1000);
    }

    /**
     * "abab abab ab" splits into "abab", " abab", " ab". Pair counts: (a,b) 5, (b,a) 2, (' ',a) 2:
     * merge a+b. Then (ab,ab) 2 and (' ',ab) 2 tie; ' ' sorts before "ab": merge ' '+ab. Then
     * (" ab",ab) 1 and (ab,ab) 1 tie; " ab" sorts first: merge " ab"+ab, then ab+ab.
     */
    @Test
    void tinyCorpusMergesInTheKnownOrder() {
        ByteLevelBpeTokenizer tok = new BpeTrainer(256 + 4 + 1, List.of("<|endoftext|>")).train(List.of("abab abab ab"));
        List<String> merges = tok.model().merges().stream().map(m -> m[0] + " " + m[1]).toList();
        assertEquals(List.of("a b", "\u0120 ab", "\u0120ab ab", "ab ab"), merges);
        assertEquals("ab", tok.piece(256));
        assertEquals("\u0120ab", tok.piece(257));
        assertEquals("\u0120abab", tok.piece(258));
        assertEquals("abab", tok.piece(259));
        assertEquals("<|endoftext|>", tok.piece(260));
        assertEquals(260, tok.eosId());
        assertEquals(ByteLevelBpeTokenizer.CONTROL, tok.tokenType(260));
        for (int b = 0; b < 256; b++) {
            assertEquals(String.valueOf(ByteLevel.charOf(b)), tok.piece(b));
        }
        assertArrayEquals(new int[] {259, 258, 257, 260, 'z'}, tok.encode("abab abab ab<|endoftext|>z", false, true));
    }

    /**
     * The incremental merge loop against a naive one that recounts every pair before each merge,
     * on seeded random corpora over small alphabets (many ties, runs like "aaaa" that overlap).
     */
    @Test
    void incrementalMergesEqualNaiveRecounting() {
        java.util.Random random = new java.util.Random(20261128L);
        String[] alphabets = {"ab ", "abc \n", "aaab  ", "xyz\u00e9\u4e2d ,.", "01 ab'"};
        int cases = 0;
        for (int round = 0; round < 40; round++) {
            String alphabet = alphabets[round % alphabets.length];
            List<String> docs = new ArrayList<>();
            for (int d = 0; d < 1 + random.nextInt(6); d++) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < random.nextInt(200); i++) {
                    sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                docs.add(sb.toString());
            }
            int vocab = 256 + 1 + random.nextInt(60);
            ByteLevelBpeTokenizer tok = new BpeTrainer(vocab, "gpt-2", List.of("<|endoftext|>"), 1 + round % 2, null)
                    .train(docs);
            List<String> got = tok.model().merges().stream().map(m -> m[0] + " " + m[1]).toList();
            assertEquals(naiveMerges(docs, vocab - 1), got, "round " + round + " docs " + docs);
            cases++;
        }
        System.out.printf("BpeTrainer: incremental merges equal naive recounting on %d random corpora%n", cases);
    }

    /** Merges (byte-level text "left right") by recounting all pairs each step; symbols as Latin-1 byte strings. */
    private static List<String> naiveMerges(List<String> docs, int wantedTokens) {
        java.util.Map<String, Long> words = new java.util.TreeMap<>();
        PreSplit split = LlamaCppSplits.of(LlamaCppSplits.GPT2_REGEX);
        for (String d : docs) {
            List<String> pieces = new ArrayList<>();
            split.split(d, pieces);
            for (String p : pieces) {
                words.merge(p, 1L, Long::sum);
            }
        }
        List<List<String>> symbols = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        for (var e : words.entrySet()) {
            List<String> w = new ArrayList<>();
            for (byte b : e.getKey().getBytes(StandardCharsets.UTF_8)) {
                w.add(String.valueOf((char) (b & 0xff)));
            }
            symbols.add(w);
            counts.add(e.getValue());
        }
        java.util.Set<String> vocab = new java.util.HashSet<>();
        for (int b = 0; b < 256; b++) {
            vocab.add(String.valueOf((char) b));
        }
        List<String> merges = new ArrayList<>();
        while (vocab.size() < wantedTokens) {
            java.util.Map<List<String>, Long> pairs = new java.util.HashMap<>();
            for (int w = 0; w < symbols.size(); w++) {
                List<String> s = symbols.get(w);
                for (int j = 0; j + 1 < s.size(); j++) {
                    pairs.merge(List.of(s.get(j), s.get(j + 1)), counts.get(w), Long::sum);
                }
            }
            List<String> best = null;
            long bestCount = 0;
            for (var e : pairs.entrySet()) {
                List<String> p = e.getKey();
                long c = e.getValue();
                if (c > bestCount || (c == bestCount && (p.get(0).compareTo(best.get(0)) < 0
                        || (p.get(0).equals(best.get(0)) && p.get(1).compareTo(best.get(1)) < 0)))) {
                    best = p;
                    bestCount = c;
                }
            }
            if (best == null) {
                break;
            }
            merges.add(byteLevel(best.get(0)) + " " + byteLevel(best.get(1)));
            vocab.add(best.get(0) + best.get(1));
            for (List<String> s : symbols) {
                for (int j = 0; j + 1 < s.size(); j++) {
                    if (s.get(j).equals(best.get(0)) && s.get(j + 1).equals(best.get(1))) {
                        s.set(j, best.get(0) + best.get(1));
                        s.remove(j + 1);
                    }
                }
            }
        }
        return merges;
    }

    private static String byteLevel(String latin1) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < latin1.length(); i++) {
            sb.append(ByteLevel.charOf(latin1.charAt(i)));
        }
        return sb.toString();
    }

    @Test
    void specialTokensAreNotLearntFrom() {
        ByteLevelBpeTokenizer tok = new BpeTrainer(256 + 1 + 1, List.of("<|x|>"))
                .train(List.of("<|x|><|x|><|x|>ab<|x|><|x|>"));
        assertEquals(List.of("a b"), tok.model().merges().stream().map(m -> m[0] + " " + m[1]).toList());
    }

    @Test
    void runsOutOfPairsGracefully() {
        ByteLevelBpeTokenizer tok = new BpeTrainer(1000, List.of()).train(List.of("ab"));
        assertEquals(257, tok.vocabSize());
        assertEquals(-1, tok.eosId());
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(256, List.of("<s>")));
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(300, List.of("<s>", "<s>")));
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(300, "no-such-pre", List.of(), 0, null));
    }

    private static List<String> withSpecials(List<String> strings) {
        List<String> out = new ArrayList<>(strings);
        out.add("<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\nHi!<|im_end|><|endoftext|>");
        out.add("a<|endoftext|>b <|im_end|> c");
        return out;
    }
}
