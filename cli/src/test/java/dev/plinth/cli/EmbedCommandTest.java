package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.SharedData;
import dev.plinth.model.BertModel;
import dev.plinth.model.Embedder;
import dev.plinth.model.Pooling;
import dev.plinth.text.Tokenizers;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbedCommandTest {
    private static final String BERT = "models/bert-tiniest";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void jsonIsOneArrayOfUnitVectorsWithTheModelsWidth() throws Exception {
        Path folder = SharedData.require(BERT);
        Cli r = Cli.run("embed", folder.toString(), "hello world", "a second text");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().startsWith("[[") && r.out().endsWith("]]\n"), r.out());
        JsonNode doc = JSON.readTree(r.out());
        assertEquals(2, doc.size());
        float[][] expected;
        try (BertModel m = BertModel.load(folder)) {
            expected = new Embedder(m, Tokenizers.fromTokenizerJson(folder.resolve("tokenizer.json")), Pooling.MEAN,
                    true, 512).embed(List.of("hello world", "a second text"));
        }
        for (int i = 0; i < 2; i++) {
            assertEquals(4, doc.get(i).size(), "hidden_size of bert-tiniest");
            double norm = 0;
            for (int j = 0; j < 4; j++) {
                double v = doc.get(i).get(j).asDouble();
                assertEquals(expected[i][j], (float) v, "text " + i + " dim " + j);
                norm += v * v;
            }
            assertEquals(1.0, norm, 1e-5);
        }
    }

    @Test
    void jsonlClsAndUnnormalizedChangeTheOutput() throws Exception {
        Path folder = SharedData.require(BERT);
        Cli lines = Cli.run("embed", "--format", "jsonl", "--pooling", "cls", "--no-normalize", folder.toString(),
                "hello", "x");
        assertEquals(0, lines.code(), lines.err());
        String[] rows = lines.out().split("\n");
        assertEquals(2, rows.length);
        JsonNode first = JSON.readTree(rows[0]);
        assertEquals(4, first.size());
        double norm = 0;
        for (JsonNode v : first) {
            norm += v.asDouble() * v.asDouble();
        }
        assertNotEquals(1.0, norm, 1e-3);
        JsonNode mean = JSON.readTree(Cli.run("embed", "--no-normalize", folder.toString(), "hello").out()).get(0);
        assertNotEquals(first, mean, "cls pooling differs from mean pooling");
    }

    @Test
    void badOptionsAreUsageErrors() {
        Path folder = SharedData.require(BERT);
        Cli r = Cli.run("embed", "--pooling", "max", folder.toString(), "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--pooling must be mean or cls"), r.err());
        assertEquals(2, Cli.run("embed", folder.toString()).code(), "a text is required");
    }
}
