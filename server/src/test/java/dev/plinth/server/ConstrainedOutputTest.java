package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.plinth.model.json.JsonGrammar;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code response_format} by constrained decoding on a model that knows nothing of JSON (stories260K
 * at temperature 1): every output parses, and every json_schema output validates against its schema
 * (networknt json-schema-validator, draft 2020-12).
 */
class ConstrainedOutputTest {

    static final String SCHEMA = """
            {"type": "object", "properties": {
              "name": {"type": "string", "maxLength": 12},
              "age": {"type": "integer"},
              "score": {"type": "number"},
              "ok": {"type": "boolean"},
              "mood": {"enum": ["happy", "sad", 3]},
              "tags": {"type": "array", "items": {"type": "string", "maxLength": 8}, "minItems": 1, "maxItems": 3},
              "home": {"type": "object", "properties": {"city": {"type": "string", "minLength": 2, "maxLength": 10},
                                                      "zip": {"type": "null"}}, "required": ["city"]},
              "extra": {"type": "object"}
            }, "required": ["name", "age"], "additionalProperties": false}
            """;

    @RegisterExtension
    static final ServerExtension SERVER = new ServerExtension((dir, store) -> TestServers.config(store));

    static TestServers.Client client() {
        return SERVER.client();
    }

    static String chat(String model, String format, int seed, int maxTokens) {
        return "{\"model\": \"" + model + "\", \"temperature\": 1.0, \"seed\": " + seed + ", \"max_tokens\": " + maxTokens
                + ", \"response_format\": " + format + ", \"messages\": [{\"role\": \"user\", \"content\": \"Give JSON\"}]}";
    }

    static String content(TestServers.Response r) throws Exception {
        assertEquals(200, r.status(), r.body());
        return r.json().path("choices").get(0).path("message").path("content").asText();
    }

    @Test
    void everyJsonObjectOutputParses() throws Exception {
        for (int seed = 0; seed < 24; seed++) {
            String model = List.of("base", "mail", "notes").get(seed % 3);
            String text = content(client().post("/v1/chat/completions", chat(model, "{\"type\": \"json_object\"}", seed, 40)));
            JsonNode parsed = Json.MAPPER.readTree(text);
            assertTrue(parsed.isObject(), text);
        }
    }

    @Test
    void everyJsonSchemaOutputValidates() throws Exception {
        Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(SCHEMA);
        String format = "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"person\", \"strict\": true, \"schema\": "
                + SCHEMA + "}}";
        for (int seed = 0; seed < 24; seed++) {
            String text = content(client().post("/v1/chat/completions", chat("base", format, seed, 160)));
            List<Error> errors = schema.validate(text, InputFormat.JSON);
            assertTrue(errors.isEmpty(), text + " " + errors);
            if (seed < 2) {
                System.out.println("json_schema output: " + text);
            }
        }
    }

    @Test
    void aTightBudgetStillClosesTheJson() throws Exception {
        Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(SCHEMA);
        int least = JsonGrammar.of(Json.MAPPER.readTree(SCHEMA)).cost();
        String format = "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"p\", \"schema\": " + SCHEMA + "}}";
        for (int seed = 0; seed < 8; seed++) {
            String text = content(client().post("/v1/chat/completions", chat("base", format, seed, least + 3)));
            assertTrue(schema.validate(text, InputFormat.JSON).isEmpty(), text);
        }
        TestServers.Response tooTight = client().post("/v1/chat/completions", chat("base", format, 0, least - 1));
        ApiTest.assertError(tooTight, 400, "max_tokens");
    }

    @Test
    void streamingJsonParsesToo() throws Exception {
        TestServers.Response r = client().post("/v1/chat/completions", chat("base", "{\"type\": \"json_object\"}", 5, 40)
                .replace("{\"model\"", "{\"stream\": true, \"model\""));
        StringBuilder text = new StringBuilder();
        for (String e : r.events()) {
            if (!e.equals("[DONE]")) {
                text.append(Json.MAPPER.readTree(e).path("choices").get(0).path("delta").path("content").asText(""));
            }
        }
        assertTrue(Json.MAPPER.readTree(text.toString()).isObject(), text.toString());
    }

    @Test
    void unsupportedSchemaKeywordsAreRefused() throws Exception {
        String format = "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"p\", \"schema\": {\"type\": \"string\", "
                + "\"pattern\": \"^a+$\"}}}";
        TestServers.Response r = client().post("/v1/chat/completions", chat("base", format, 0, 20));
        ApiTest.assertError(r, 400, "response_format");
        assertTrue(r.json().path("error").path("message").asText().contains("pattern"));
        ApiTest.assertError(client().post("/v1/chat/completions", chat("base", "{\"type\": \"yaml\"}", 0, 20)), 400, "response_format");
    }

    @Test
    void theGrammarTakesJsonAndRefusesTheRest() throws Exception {
        JsonGrammar.State any = JsonGrammar.object();
        for (String ok : List.of("{}", "{\"a\":1}", "{\"a\":[1,2.5,-3],\"b\":{\"c\":null},\"d\":\"x\\\"y\\u00e9\",\"e\":true}")) {
            JsonGrammar.State s = any.feed(JsonGrammar.bytes(ok));
            assertNotNull(s, ok);
            assertTrue(s.finished(), ok);
            assertEquals(0, s.cost());
        }
        for (String bad : List.of("[", "{,", "{\"a\"1", "{\"a\":01", "{\"a\":1,}", "{} ", "{\"a\":tru ", "{\"a\":\"\n")) {
            JsonGrammar.State s = any.feed(JsonGrammar.bytes(bad));
            assertNull(s, bad);
        }
        JsonGrammar.State person = JsonGrammar.of(Json.MAPPER.readTree(SCHEMA));
        String shortest = "{\"name\":\"\",\"age\":0,\"score\":0,\"ok\":true,\"mood\":3,\"tags\":[\"\"],\"home\":{\"city\":\"\","
                + "\"zip\":null},\"extra\":{}}";
        assertEquals(shortest.length() + 2, person.cost(), "the city needs two characters");
        String prefix = "{\"name\":\"Tom\",\"age\":12,\"sc";
        JsonGrammar.State partway = person.feed(JsonGrammar.bytes(prefix));
        assertNotNull(partway);
        assertEquals(shortest.length() + 2 - "{\"name\":\"\",\"age\":0,\"sc".length(), partway.cost());
    }
}
