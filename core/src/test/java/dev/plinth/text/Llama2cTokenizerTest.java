package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * llama2.c's tokenizer on the genuine stories260K tok512.bin, checked against the ids run.c prints
 * and against llama.cpp's tokenization of the same vocabulary converted to GGUF.
 */
class Llama2cTokenizerTest {

    @Test
    void onceUponATimeAsRunC() throws Exception {
        Tokenizer t = Tokenizers.fromLlama2c(SharedData.require("models/stories260K/tok512.bin"));
        assertEquals(512, t.vocabSize());
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, t.encode("Once upon a time", true, false));
        assertArrayEquals(new int[] {403, 407, 261, 378}, t.encode("Once upon a time", false, false));
        assertEquals("Once upon a time", t.decode(new int[] {1, 403, 407, 261, 378}).substring("\n<s>\n".length()));
    }

    @Test
    void sameIdsFromTheGgufConversion() throws Exception {
        try (GgufFile gguf = GgufFile.open(SharedData.require("models/stories260K/stories260K.gguf"))) {
            assertArrayEquals(new int[] {1, 403, 407, 261, 378}, Tokenizers.fromGguf(gguf).encode("Once upon a time", true, false));
        }
    }

    /** The generated text of run.c's greedy run decodes from its ids exactly. */
    @Test
    void decodesRunCOutput() throws Exception {
        Tokenizer t = Tokenizers.fromLlama2c(SharedData.require("models/stories260K/tok512.bin"));
        String expected = Files.readString(SharedData.require("models/stories260K/expected-run-c-greedy-64.txt"));
        int[] generated = Arrays.stream(("432 383 286 261 376 298 315 421 395 317 426 338 401 396 267 337 410 408 419 292 "
                + "411 322 265 282 295 433 426 385 328 432 358 394 261 370 432 352 266 268 388 426 338 391 266 267 337 335 312 "
                + "432 398 312 286 267 414 270 333 415 426 13 438 310").split(" ")).mapToInt(Integer::parseInt).toArray();
        int[] all = new int[4 + generated.length];
        System.arraycopy(new int[] {403, 407, 261, 378}, 0, all, 0, 4);
        System.arraycopy(generated, 0, all, 4, generated.length);
        assertEquals(expected, t.decode(all) + "\n");
    }

    /** llama2.c's encode and llama.cpp's SPM encode agree on this vocabulary for varied text. */
    @Test
    void agreesWithLlamaCppOnTheConvertedVocabulary() throws Exception {
        Tokenizer llama2c = Tokenizers.fromLlama2c(SharedData.require("models/stories260K/tok512.bin"));
        List<String> strings = TokenizerSamples.first(1000);
        int same = 0;
        try (GgufFile gguf = GgufFile.open(SharedData.require("models/stories260K/stories260K.gguf"))) {
            Tokenizer spm = Tokenizers.fromGguf(gguf);
            for (String s : strings) {
                if (Arrays.equals(llama2c.encode(s, true, false), spm.encode(s, true, false))) {
                    same++;
                }
            }
        }
        System.out.printf("stories260K: llama2.c and llama.cpp-style encode agree on %d/%d strings%n", same, strings.size());
        assertEquals(strings.size(), same);
        int roundTrips = 0;
        for (String s : strings) {
            if (llama2c.decode(llama2c.encode(s, false, false)).equals(s)) {
                roundTrips++;
            }
        }
        System.out.printf("stories260K llama2.c: decode(encode(s)) == s for %d/%d strings%n", roundTrips, strings.size());
        assertEquals(strings.size(), roundTrips);
    }
}
