package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeCommandTest {

    private static String stories() {
        return SharedData.require("models/stories260K/stories260K.gguf").toString();
    }

    @Test
    void idsOnOneLineMatchLlamaCpp() {
        // llama.cpp tokenizes "Once upon a time" with this vocabulary to [1, 403, 407, 261, 378].
        Cli r = Cli.run("tokenize", stories(), "Once upon a time", "--ids");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertEquals("1 403 407 261 378\n", r.out());
    }

    @Test
    void tableShowsIdsAndQuotedPieces() {
        Cli r = Cli.run("tokenize", stories(), "Once upon a time");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertEquals("""
                 id  piece
                  1  "<s>"
                403  "▁Once"
                407  "▁upon"
                261  "▁a"
                378  "▁time"
                """, r.out());
    }

    @Test
    void fullLlama2VocabularyFromGguf() {
        String model = SharedData.require("models/llama-2-tiny-random/llama-2-tiny-random.gguf").toString();
        Cli r = Cli.run("tokenize", "--ids", model, "Hello world");
        assertEquals(0, r.code(), r.err());
        assertEquals("1 15043 3186\n", r.out());
    }

    @Test
    void huggingFaceFolderUsesItsTokenizerJson() {
        String folder = SharedData.require("models/bert-tiniest").toString();
        Cli r = Cli.run("tokenize", folder, "Hello, World!", "--ids");
        assertEquals(0, r.code(), r.err());
        assertEquals("101 7592 1010 2088 999 102\n", r.out()); // bert-base-uncased: [CLS] hello , world ! [SEP]
        Cli file = Cli.run("tokenize", folder + "/tokenizer.json", "Hello, World!", "--ids", "--no-add-special");
        assertEquals("7592 1010 2088 999\n", file.out());
    }

    @Test
    void byteLevelBpeFromHuggingFaceFolder() {
        String folder = SharedData.require("models/fake-gpt2").toString();
        // GPT-2: "Hello" 15496, "Ġworld" 995, <|endoftext|> 50256.
        Cli r = Cli.run("tokenize", folder, "Hello world<|endoftext|>", "--parse-special");
        assertEquals(0, r.code(), r.err());
        assertEquals("""
                   id  piece
                15496  "Hello"
                  995  "Ġworld"
                50256  "<|endoftext|>"
                """, r.out());
        Cli besideWeights = Cli.run("tokenize", folder + "/model.safetensors", "Hello world", "--ids");
        assertEquals("15496 995\n", besideWeights.out());
    }

    @Test
    void llama2cCheckpointWithItsTokenizerBin() {
        String checkpoint = SharedData.require("models/stories260K/stories260K.bin").toString();
        String tok = SharedData.require("models/stories260K/tok512.bin").toString();
        // run.c's prompt ids for "Once upon a time" (data README): 1 403 407 261 378.
        Cli r = Cli.run("tokenize", checkpoint, "--tokenizer", tok, "Once upon a time", "--ids");
        assertEquals(0, r.code(), r.err());
        assertEquals("1 403 407 261 378\n", r.out());

        Cli without = Cli.run("tokenize", checkpoint, "Once");
        assertEquals(1, without.code());
        assertEquals("", without.out());
        assertEquals("plinth: " + checkpoint
                + ": a llama2.c checkpoint holds no vocabulary; its tokenizer is a separate tok.bin"
                + " (name a tokenizer with --tokenizer FILE)\n", without.err());
    }

    @Test
    void readsStandardInputExactlyWithNewlines() {
        String text = "hi\nthere \r\n\n";
        Cli piped = Cli.runWithInput(text, "tokenize", stories(), "--ids");
        Cli argument = Cli.run("tokenize", stories(), text, "--ids");
        assertEquals(0, piped.code(), piped.err());
        assertEquals("", piped.err());
        assertEquals(argument.out(), piped.out());
        String[] ids = piped.out().strip().split(" ");
        // Byte-fallback pieces: <0x0A> is 13, <0x0D> is 16; the trailing newlines are kept, not trimmed.
        assertEquals("13", ids[ids.length - 1]);
        assertEquals("13", ids[ids.length - 2]);
        assertEquals("16", ids[ids.length - 3]);
        Cli trimmed = Cli.run("tokenize", stories(), text.strip(), "--ids");
        assertNotEquals(trimmed.out(), piped.out());
    }

    @Test
    void noBosAndParseSpecial() {
        assertEquals("403 407 261 378\n", Cli.run("tokenize", stories(), "Once upon a time", "--ids", "--no-bos").out());
        assertEquals("1\n", Cli.run("tokenize", stories(), "<s>", "--ids", "--no-bos", "--parse-special").out());
        Cli plain = Cli.run("tokenize", stories(), "<s>", "--ids", "--no-bos");
        assertEquals(0, plain.code(), plain.err());
        assertNotEquals("1\n", plain.out(), "without --parse-special <s> is plain text");
    }

    @Test
    void conflictingSpecialOptionsAreAUsageError() {
        Cli r = Cli.run("tokenize", stories(), "x", "--add-special", "--no-bos");
        assertEquals(2, r.code());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertEquals("plinth: --add-special, --no-add-special are mutually exclusive (specify only one)"
                + " (see 'plinth tokenize --help')\n", r.err());
    }

    @Test
    void standardInputThatIsNotUtf8IsARuntimeError() {
        Cli r = Cli.runWithInput(new byte[] {'a', (byte) 0xC3, '(', '\n'}, "tokenize", stories());
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertEquals("plinth: standard input is not valid UTF-8 text\n", r.err());
    }

    @Test
    void folderWithoutTokenizerJsonIsARuntimeError(@TempDir Path dir) {
        Cli r = Cli.run("tokenize", dir.toString(), "x");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertEquals("plinth: " + dir + ": folder has no tokenizer.json (name a tokenizer with --tokenizer FILE)\n", r.err());
    }

    @Test
    void missingModelIsARuntimeError() {
        Cli r = Cli.run("tokenize", "/nonexistent/model.gguf", "x");
        assertEquals(1, r.code());
        assertEquals("plinth: no such file or directory: /nonexistent/model.gguf\n", r.err());
    }
}
