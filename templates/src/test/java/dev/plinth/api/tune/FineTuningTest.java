package dev.plinth.api.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.api.GenerateOptions;
import dev.plinth.api.LanguageModel;
import dev.plinth.api.TextClassifier;
import dev.plinth.product.Fixtures;
import dev.plinth.product.Store;
import dev.plinth.train.TinyChatBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning through the library on a tiny base: a LoRA adapter a product then applies, and a classifier. */
class FineTuningTest {

    private static final Map<String, String> QUICK = Map.of("steps", "20", "batch", "4", "lr", "0.01", "eval-every", "5",
            "checkpoint-every", "0", "rank", "4", "alpha", "8", "val-fraction", "0.2");

    @TempDir
    Path tmp;

    @Test
    void aLoraAdapterTrainsAndAProductAppliesIt() throws Exception {
        TinyChatBase.write(tmp);
        Path base = tmp.resolve("base.gguf");
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            rows.add("{\"prompt\": \"what is red?\", \"completion\": \" a rose is red.\"}");
        }
        Path data = Files.write(tmp.resolve("train.jsonl"), rows);
        List<Float> losses = new ArrayList<>();
        FineTuning.Result r = FineTuning.run(base, data, tmp.resolve("run"), QUICK, p -> losses.add(p.trainLoss()));
        assertEquals(20, r.steps());
        assertEquals(20, losses.size());
        assertTrue(losses.getLast() < losses.getFirst(), losses.toString());
        assertNotNull(r.adapter());
        assertNotNull(r.adapterGguf());
        assertNull(r.model());
        Path home = tmp.resolve("home");
        Fixtures.create(Store.open(home), tmp, "rose", "FROM " + base + "\nADAPTER " + r.adapterGguf() + "\n");
        GenerateOptions greedy = GenerateOptions.defaults().withTemperature(0f).withMaxTokens(6);
        try (LanguageModel rose = LanguageModel.openProduct(home, "rose"); LanguageModel plain = LanguageModel.open(base)) {
            assertEquals(1, rose.runtime().adapters().size());
            String text = rose.generate("what is red?", greedy).text();
            assertTrue(text.contains("rose"), text);
            assertNotEquals(plain.generate("what is red?", greedy).text(), text);
        }
        assertThrows(IllegalArgumentException.class, () -> FineTuning.run(base, data, tmp.resolve("bad"), Map.of("rank", "0"),
                p -> { }));
    }

    @Test
    void aClassifierTrainsAndClassifies() throws Exception {
        TinyChatBase.write(tmp);
        Path base = tmp.resolve("base.gguf");
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            rows.add(i % 2 == 0 ? "{\"text\": \"the cat sat on the mat " + i + "\", \"label\": \"cat\"}"
                    : "{\"text\": \"the dog ran to the park " + i + "\", \"label\": \"dog\"}");
        }
        Path data = Files.write(tmp.resolve("labels.jsonl"), rows);
        FineTuning.Result r = FineTuning.run(base, data, tmp.resolve("run"), QUICK, p -> { });
        assertNull(r.adapterGguf(), "a head has no place in a LoRA GGUF");
        try (TextClassifier classifier = TextClassifier.open(base, r.adapter())) {
            assertEquals(List.of("cat", "dog"), classifier.labels());
            TextClassifier.Label cat = classifier.classify("the cat sat on the mat 99");
            assertEquals("cat", cat.name());
            assertEquals(cat.probability(), cat.probabilities().get("cat"));
            assertEquals(List.of("dog", "cat"), classifier.classifyAll(List.of("the dog ran to the park 7", "the cat sat on the mat 8"))
                    .stream().map(TextClassifier.Label::name).toList());
        }
    }
}
