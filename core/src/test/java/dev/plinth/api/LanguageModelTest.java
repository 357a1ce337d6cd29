package dev.plinth.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.model.FinishReason;
import dev.plinth.model.GenerationRequest;
import dev.plinth.model.GenerationResult;
import dev.plinth.model.Generator;
import dev.plinth.model.ModelRuntime;
import dev.plinth.model.SamplingParams;
import dev.plinth.model.json.JsonSchemaException;
import dev.plinth.product.Fixtures;
import dev.plinth.product.Store;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library's generation on stories260K: the runtime's own output, streaming, seeds, stops, JSON and products by name. */
class LanguageModelTest {

    private static final String PROMPT = "Once upon a time";
    private static final String SCHEMA = """
            {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"type": "integer"},
             "mood": {"enum": ["happy", "sad"]}}}""";

    @TempDir
    Path tmp;

    @Test
    void greedyGenerationIsTheRuntimesAndStreamsTheSameText() throws Exception {
        Path gguf = Fixtures.stories(tmp);
        GenerationResult direct;
        try (ModelRuntime rt = ModelRuntime.open(gguf, null)) {
            direct = new Generator(rt.tokenizer()).generate(rt.newSequence(rt.contextLength(0)),
                    rt.tokenizer().encode(PROMPT, true, false), GenerationRequest.of(SamplingParams.greedy(), 40));
        }
        try (LanguageModel model = LanguageModel.open(gguf)) {
            GenerateOptions greedy = GenerateOptions.defaults().withTemperature(0f).withMaxTokens(40);
            GenerationResult r = model.generate(PROMPT, greedy);
            assertEquals(direct.text(), r.text());
            assertArrayEquals(direct.tokens(), r.tokens());
            StringBuilder streamed = new StringBuilder();
            GenerationResult again = model.generate(PROMPT, greedy, streamed::append);
            assertEquals(r.text(), streamed.toString());
            assertEquals(r.text(), again.text());
        }
    }

    @Test
    void aSeedRepeatsASampleAndStopStringsCutIt() throws Exception {
        try (LanguageModel model = LanguageModel.open(Fixtures.stories(tmp))) {
            GenerateOptions sampled = GenerateOptions.defaults().withTemperature(1f).withSeed(42L).withMaxTokens(30);
            String first = model.generate(PROMPT, sampled).text();
            assertEquals(first, model.generate(PROMPT, sampled).text());
            assertNotEquals(first, model.generate(PROMPT, sampled.withSeed(43L)).text());
            GenerateOptions greedy = GenerateOptions.defaults().withTemperature(0f).withMaxTokens(60);
            String whole = model.generate(PROMPT, greedy).text();
            String stop = whole.substring(20, 24);
            GenerationResult cut = model.generate(PROMPT, greedy.withStop(List.of(stop)));
            assertEquals(whole.substring(0, whole.indexOf(stop)), cut.text());
            assertEquals(FinishReason.STOP, cut.finish());
        }
    }

    @Test
    void aSchemaShapesTheOutputAsValidJson() throws Exception {
        try (LanguageModel model = LanguageModel.open(Fixtures.stories(tmp))) {
            GenerateOptions json = GenerateOptions.defaults().withTemperature(0.8f).withSeed(7L).withMaxTokens(80)
                    .withJsonSchema(SCHEMA);
            for (long seed = 1; seed <= 3; seed++) {
                String text = model.generate(PROMPT, json.withSeed(seed)).text();
                JsonNode node = new ObjectMapper().readTree(text);
                assertEquals(List.of("name", "age", "mood"), List.copyOf(iterable(node)), text);
                assertTrue(node.get("name").isTextual() && node.get("name").asText().length() <= 12, text);
                assertTrue(node.get("age").isIntegralNumber(), text);
                assertTrue(List.of("happy", "sad").contains(node.get("mood").asText()), text);
            }
            assertTrue(new ObjectMapper().readTree(model.generate(PROMPT, GenerateOptions.defaults().withJsonObject(true)
                    .withMaxTokens(60)).text()).isObject());
            assertThrows(JsonSchemaException.class, () -> model.generate(PROMPT,
                    GenerateOptions.defaults().withJsonSchema("{\"type\": \"string\", \"pattern\": \"a+\"}")));
            assertThrows(IllegalArgumentException.class, () -> model.generate(PROMPT, json.withMaxTokens(3)));
        }
    }

    @Test
    void theJsonClosesWithinAShortContext() throws Exception {
        Path gguf = Fixtures.stories(tmp.resolve("models"));
        Path home = tmp.resolve("home");
        Fixtures.create(Store.open(home), tmp, "short", "FROM " + gguf + "\nPARAMETER num_ctx 48\n");
        try (LanguageModel model = LanguageModel.openProduct(home, "short")) {
            for (long seed = 1; seed <= 3; seed++) {
                GenerationResult r = model.generate(PROMPT, GenerateOptions.defaults().withSeed(seed).withMaxTokens(200)
                        .withJsonSchema(SCHEMA));
                assertTrue(new ObjectMapper().readTree(r.text()).has("mood"), r.text());
                assertTrue(r.promptTokens() + r.tokens().length <= 48 + 1, "the last token is sampled at a full context");
            }
            String longPrompt = PROMPT.repeat(9);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.generate(longPrompt,
                    GenerateOptions.defaults().withJsonSchema(SCHEMA))).getMessage().contains("of the context (48)"));
        }
    }

    private static List<String> iterable(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void aProductByNameBringsItsParametersAsDefaults() throws Exception {
        Path gguf = Fixtures.stories(tmp.resolve("models"));
        Path home = tmp.resolve("home");
        Fixtures.create(Store.open(home), tmp, "teller", "FROM " + gguf + "\nPARAMETER temperature 0\nPARAMETER max_tokens 7\n");
        try (LanguageModel product = LanguageModel.openProduct(home, "teller"); LanguageModel base = LanguageModel.open(gguf)) {
            assertTrue(product.product().isPresent());
            GenerationResult r = product.generate(PROMPT, GenerateOptions.defaults());
            assertEquals(7, r.tokens().length, "max_tokens is the default budget");
            assertEquals(base.generate(PROMPT, GenerateOptions.defaults().withTemperature(0f).withMaxTokens(7)).text(), r.text(),
                    "temperature 0 is the default");
            assertEquals(3, product.generate(PROMPT, GenerateOptions.defaults().withMaxTokens(3)).tokens().length,
                    "the options override the product");
        }
        assertThrows(dev.plinth.product.NoSuchProductException.class, () -> LanguageModel.openProduct(home, "absent"));
    }
}
