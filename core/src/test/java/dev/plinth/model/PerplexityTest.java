package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Perplexity of stories260K on real TinyStories text, against llama.cpp's logits for the same windows. */
class PerplexityTest {

    private static final int WINDOW = 48;

    @Test
    void matchesLlamaCppOnTinyStories() throws Throwable {
        Path gguf = SharedData.require("models/stories260K").resolve("stories260K.gguf");
        String text = Files.readString(SharedData.require("tinystories").resolve("tinystories-train-sample.txt"))
                .substring(0, 700);
        try (DecoderModel model = DecoderModel.open(gguf); GgufFile file = GgufFile.open(gguf)) {
            Tokenizer tokenizer = Tokenizers.fromGguf(file);
            int[] tokens = tokenizer.encode(text, true, false);
            List<Long> progress = new ArrayList<>();
            Perplexity.Result ours = Perplexity.of(model, tokens, WINDOW, progress::add);

            double nll = 0;
            long scored = 0;
            for (int from = 0; from + 1 < tokens.length; from += WINDOW) {
                int[] window = Arrays.copyOfRange(tokens, from, Math.min(tokens.length, from + WINDOW));
                try (LlamaCppRunner ref = new LlamaCppRunner(gguf, WINDOW, 1)) {
                    for (int i = 0; i + 1 < window.length; i++) {
                        float[] logits = ref.decode(new int[] {window[i]});
                        nll += Perplexity.negativeLogLikelihood(logits, 0, logits.length, window[i + 1]);
                        scored++;
                    }
                }
            }
            System.out.printf("stories260K on %d TinyStories tokens: Plinth ppl %.4f, llama.cpp ppl %.4f%n",
                    tokens.length, ours.perplexity(), Math.exp(nll / scored));
            assertEquals(scored, ours.tokensScored());
            assertEquals(nll / scored, ours.meanNll(), 1e-4);
            assertEquals(tokens.length, progress.getLast());
        }
    }

    @Test
    void rejectsWhatCannotBeScored() throws Exception {
        Path gguf = SharedData.require("models/stories260K").resolve("stories260K.gguf");
        try (DecoderModel model = DecoderModel.open(gguf)) {
            assertThrows(IllegalArgumentException.class, () -> Perplexity.of(model, new int[] {1, 2, 3}, 1, n -> { }));
            assertThrows(IllegalArgumentException.class, () -> Perplexity.of(model, new int[] {1}, 8, n -> { }));
        }
    }
}
