package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.plinth.SharedData;
import dev.plinth.tensor.RopeLayout;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Karpathy's real TinyStories 260K model: greedy decoding must reproduce llama2.c run.c's output
 * token for token (ids and text from models/README.md and expected-run-c-greedy-64.txt), from the
 * original checkpoint and from llama.cpp's GGUF conversion of it.
 */
class Stories260KTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378};
    /** run.c {@code -t 0 -n 64 -i "Once upon a time"}: the 60 generated ids, as recorded in models/README.md. */
    private static final int[] EXPECTED = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267,
        337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266,
        268, 388, 426, 338, 391, 266, 267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333, 415, 426, 13, 438, 310};

    @Test
    void llama2cCheckpointMatchesRunC() throws Exception {
        Path dir = SharedData.require("models/stories260K");
        try (DecoderModel m = DecoderModel.open(dir.resolve("stories260K.bin"))) {
            int[] got = m.generateGreedy(PROMPT, EXPECTED.length, -1);
            assertArrayEquals(EXPECTED, got);
            Tokenizer tok = Tokenizers.fromLlama2c(dir.resolve("tok512.bin"));
            String expected = Files.readString(dir.resolve("expected-run-c-greedy-64.txt"), StandardCharsets.UTF_8);
            int[] all = new int[PROMPT.length - 1 + got.length]; // without BOS, as run.c prints it
            System.arraycopy(PROMPT, 1, all, 0, PROMPT.length - 1);
            System.arraycopy(got, 0, all, PROMPT.length - 1, got.length);
            assertEquals(expected.strip(), tok.decode(all).strip());
        }
    }

    @Test
    void ggufConversionMatchesRunC() throws Exception {
        Path dir = SharedData.require("models/stories260K");
        try (DecoderModel m = DecoderModel.open(dir.resolve("stories260K.gguf"))) {
            assertEquals(RopeLayout.INTERLEAVED, m.config().ropeLayout());
            assertArrayEquals(EXPECTED, m.generateGreedy(PROMPT, EXPECTED.length, -1));
        }
    }

    @Test
    void tokenByTokenPrefillEqualsBatchedPrefill() throws Exception {
        Path dir = SharedData.require("models/stories260K");
        try (DecoderModel m = DecoderModel.open(dir.resolve("stories260K.bin"))) {
            DecoderModel.Session a = m.newSession(64);
            float[] batched = m.forward(a, PROMPT);
            DecoderModel.Session b = m.newSession(64);
            float[] stepwise = null;
            for (int t : PROMPT) {
                stepwise = m.forward(b, new int[] {t});
            }
            assertArrayEquals(stepwise, batched, 1e-4f);
        }
    }
}
