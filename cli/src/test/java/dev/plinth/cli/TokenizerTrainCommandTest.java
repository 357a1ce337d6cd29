package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.io.gguf.GgufFile;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTrainCommandTest {

    @TempDir
    static Path tmp;
    static Path prose;
    static Path jsonl;
    static Path jar;
    static Path json;
    static Path gguf;
    static Cli trained;

    @BeforeAll
    static void train() throws IOException {
        prose = CorpusTestData.prose(tmp.resolve("prose"), 1, 12, 20);
        jsonl = CorpusTestData.jsonl(tmp.resolve("dialogue.jsonl"), 2, 150, "text");
        jar = CorpusTestData.codeJar(tmp.resolve("code.jar"), 3, 40);
        json = tmp.resolve("tok/tokenizer.json");
        gguf = tmp.resolve("tok/tokenizer.gguf");
        trained = Cli.run("tokenizer", "train", prose.toString(), jsonl.toString(), jar.toString(),
                "--vocab-size", "600", "-o", json.toString(), "--gguf", gguf.toString(), "--threads", "2");
    }

    @Test
    void writesTokenizerThatLoadsAndRoundTrips() throws IOException {
        assertEquals(0, trained.code(), trained.err());
        assertTrue(trained.out().contains("vocabulary: 600 tokens (256 bytes, 341 learnt, 3 special)"), trained.out());
        assertTrue(trained.out().contains("<|endoftext|>=597, <|im_start|>=598, <|im_end|>=599 (eos 597)"), trained.out());
        assertTrue(trained.err().contains("tokenizer: merging ["), trained.err());

        Tokenizer t = Tokenizers.fromTokenizerJson(json);
        assertEquals(600, t.vocabSize());
        assertEquals(597, t.eosId(), "tokenizer_config.json beside it names the EOS");
        assertEquals(-1, t.bosId());
        SplittableRandom rnd = new SplittableRandom(42);
        int compressed = 0;
        for (int i = 0; i < 300; i++) {
            String s = i % 3 == 0 ? CorpusTestData.paragraph(rnd) : randomText(rnd);
            int[] ids = t.encode(s, false, false);
            assertEquals(s, t.decode(ids), "round trip of case " + i);
            if (ids.length < s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length) {
                compressed++;
            }
        }
        assertTrue(compressed >= 100, "learnt merges shorten the corpus-like texts: " + compressed);
        assertArrayEquals(new int[] {598}, t.encode("<|im_start|>", false, true));
        assertTrue(t.encode("<|im_start|>", false, false).length > 1, "without parseSpecial it is plain text");
        String config = Files.readString(json.resolveSibling("tokenizer_config.json"));
        assertTrue(config.contains("\"eos_token\" : \"<|endoftext|>\"") && config.contains("chat_template"), config);
    }

    @Test
    void ggufMetadataGivesTheSameIds() throws IOException {
        assertEquals(0, trained.code(), trained.err());
        Tokenizer fromJson = Tokenizers.fromTokenizerJson(json);
        try (GgufFile file = GgufFile.open(gguf)) {
            Tokenizer fromGguf = Tokenizers.fromGguf(file);
            assertEquals(fromJson.vocabSize(), fromGguf.vocabSize());
            assertEquals(fromJson.eosId(), fromGguf.eosId());
            SplittableRandom rnd = new SplittableRandom(7);
            for (int i = 0; i < 200; i++) {
                String s = i % 2 == 0 ? CorpusTestData.paragraph(rnd) : randomText(rnd);
                assertArrayEquals(fromJson.encode(s, false, true), fromGguf.encode(s, false, true), s);
            }
        }
    }

    @Test
    void sameInputGivesByteIdenticalFilesAndMaxBytesLimitsTheRead() throws IOException {
        Path again = tmp.resolve("again/tokenizer.json");
        Cli r = Cli.run("-q", "tokenizer", "train", prose.toString(), jsonl.toString(), jar.toString(),
                "--vocab-size", "600", "-o", again.toString(), "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err(), "--quiet prints no progress");
        assertArrayEquals(Files.readAllBytes(json), Files.readAllBytes(again), "training is a pure function of the input");

        Path small = tmp.resolve("small/tokenizer.json");
        Cli limited = Cli.run("tokenizer", "train", prose.toString(), jsonl.toString(), "--vocab-size", "300",
                "--max-bytes", "20K", "-o", small.toString(), "--special", "</s>");
        assertEquals(0, limited.code(), limited.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("trained on: [0-9,]+ documents, ([0-9.]+) KiB").matcher(limited.out());
        assertTrue(m.find(), limited.out());
        double kib = Double.parseDouble(m.group(1));
        assertTrue(kib <= 20.05 && kib > 15, "20K shared by two inputs, each filled to near its half: " + limited.out());
        assertTrue(limited.out().contains("</s>=299 (eos 299)"), limited.out());
        assertEquals(299, Tokenizers.fromTokenizerJson(small).eosId());
    }

    @Test
    void badInputsFailWithAClearMessage() {
        Cli missing = Cli.run("tokenizer", "train", tmp.resolve("nope").toString(), "--vocab-size", "300", "-o", tmp.resolve("x.json").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("no such file or directory: " + tmp.resolve("nope")), missing.err());

        Cli tooSmall = Cli.run("tokenizer", "train", prose.toString(), "--vocab-size", "100", "-o", tmp.resolve("x.json").toString());
        assertEquals(1, tooSmall.code());
        assertTrue(tooSmall.err().contains("vocabSize 100 is below 256 byte tokens + 3 special tokens"), tooSmall.err());

        Cli badSize = Cli.run("tokenizer", "train", prose.toString(), "--vocab-size", "300", "--max-bytes", "lots", "-o", "x.json");
        assertEquals(2, badSize.code());
        assertTrue(badSize.err().contains("'lots' is not a size"), badSize.err());

        Cli noVocab = Cli.run("tokenizer", "train", prose.toString(), "-o", "x.json");
        assertEquals(2, noVocab.code());
        assertTrue(noVocab.err().contains("--vocab-size"), noVocab.err());

        Cli noSub = Cli.run("tokenizer");
        assertEquals(2, noSub.code());
        assertTrue(noSub.err().contains("missing subcommand: train"), noSub.err());
    }

    @Test
    void folderWithoutTextIsAnError() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("binaries"));
        Files.write(empty.resolve("a.bin"), new byte[] {1, 2, 3});
        Cli r = Cli.run("tokenizer", "train", empty.toString(), "--vocab-size", "300", "-o", tmp.resolve("e.json").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no text found in"), r.err());
    }

    /** Random code points from several scripts, spaces and newlines. */
    private static String randomText(SplittableRandom rnd) {
        int[][] ranges = {{0x20, 0x7e}, {0xa0, 0x17f}, {0x391, 0x3c9}, {0x410, 0x44f}, {0x4e00, 0x4fff}, {0x1f600, 0x1f64f}};
        StringBuilder sb = new StringBuilder();
        int n = 1 + rnd.nextInt(40);
        for (int i = 0; i < n; i++) {
            if (rnd.nextInt(8) == 0) {
                sb.append(rnd.nextBoolean() ? ' ' : '\n');
                continue;
            }
            int[] r = ranges[rnd.nextInt(ranges.length)];
            sb.appendCodePoint(r[0] + rnd.nextInt(r[1] - r[0] + 1));
        }
        return sb.toString();
    }
}
