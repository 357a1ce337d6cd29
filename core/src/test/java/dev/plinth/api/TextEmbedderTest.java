package dev.plinth.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.plinth.SharedData;
import dev.plinth.model.BertModel;
import dev.plinth.model.Embedder;
import dev.plinth.model.TokenizerLoader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sentence embeddings through the library: the model layer's mean-pooled unit vectors, one text or many. */
class TextEmbedderTest {

    @Test
    void embedsAsTheEmbedderDoesWithUnitLength() throws Exception {
        Path folder = SharedData.require("models/bert-tiniest");
        List<String> texts = List.of("Quiet hours start at nine.", "Parking is free on Sundays.");
        float[][] expected;
        try (BertModel bert = BertModel.load(folder); TokenizerLoader tok = TokenizerLoader.open(folder, null)) {
            expected = Embedder.meanNormalized(bert, tok.tokenizer()).embed(texts);
        }
        try (TextEmbedder e = TextEmbedder.open(folder)) {
            assertEquals(expected[0].length, e.dimension());
            assertArrayEquals(expected[0], e.embed(texts.get(0)));
            List<float[]> all = e.embedAll(texts);
            assertArrayEquals(expected[1], all.get(1));
            double norm = 0;
            for (float v : all.get(1)) {
                norm += v * v;
            }
            assertEquals(1.0, Math.sqrt(norm), 1e-5);
        }
    }
}
