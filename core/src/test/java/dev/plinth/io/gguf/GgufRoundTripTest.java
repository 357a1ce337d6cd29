package dev.plinth.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Real llama.cpp / gguf-py files, parsed and written back, must come back byte for byte. */
class GgufRoundTripTest {

    @TempDir
    Path tmp;

    static Stream<String> realFiles() throws IOException {
        List<String> files = new ArrayList<>(List.of(
                "models/stories260K/stories260K.gguf",
                "models/llama-2-tiny-random/llama-2-tiny-random.gguf"));
        Path vectors = SharedData.root().resolve("data/tokenizer-vectors");
        if (Files.isDirectory(vectors)) {
            try (Stream<Path> s = Files.list(vectors)) {
                s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".gguf")).sorted()
                        .forEach(n -> files.add("tokenizer-vectors/" + n));
            }
        } else {
            files.add("tokenizer-vectors/ggml-vocab-llama-spm.gguf"); // reported as skipped by require()
        }
        return files.stream();
    }

    @ParameterizedTest
    @MethodSource("realFiles")
    void rewritesRealFilesByteForByte(String relative) throws IOException {
        Path original = SharedData.require(relative);
        Path copy = tmp.resolve("copy.gguf");
        try (GgufFile f = GgufFile.open(original)) {
            GgufWriter.copyOf(f).write(copy);
        }
        byte[] want = Files.readAllBytes(original);
        byte[] got = Files.readAllBytes(copy);
        assertEquals(want.length, got.length, "file size of the rewrite of " + relative);
        assertEquals(-1, Arrays.mismatch(want, got), "first differing byte of the rewrite of " + relative);
        assertTrue(want.length > 100_000);
    }

    @Test
    void rewriteLeavesNoTemporaryFiles() throws IOException {
        Path original = SharedData.require("models/stories260K/stories260K.gguf");
        Path copy = tmp.resolve("a.gguf");
        try (GgufFile f = GgufFile.open(original)) {
            GgufWriter.copyOf(f).write(copy);
            GgufWriter.copyOf(f).write(copy); // replaces atomically
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(copy), s.toList());
        }
        assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(copy));
    }
}
