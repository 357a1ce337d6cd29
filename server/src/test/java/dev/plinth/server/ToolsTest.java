package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.plinth.product.Fixtures;
import dev.plinth.product.Store;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code tools} and {@code tool_choice}: rendered for the template, forced by a grammar or parsed, answered as {@code tool_calls}. */
class ToolsTest {

    static final Map<String, String> PARAMETERS = Map.of(
            "get_weather", """
                    {"type": "object", "properties": {"city": {"type": "string", "maxLength": 16},
                     "unit": {"enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}""",
            "add", """
                    {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}}""");

    static final String TOOLS = "[" + String.join(", ", PARAMETERS.entrySet().stream().map(e ->
            "{\"type\": \"function\", \"function\": {\"name\": \"" + e.getKey() + "\", \"description\": \"a tool\", "
                    + "\"parameters\": " + e.getValue() + "}}").toList()) + "]";

    /** A template that renders tools, as Hermes-style templates do. */
    static final String TOOL_TEMPLATE = "{% if tools %}[tools] {{ tools | tojson }}\\n{% endif %}"
            + "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\\n{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}";

    @RegisterExtension
    static final ServerExtension SERVER = new ServerExtension((dir, store) -> {
        String plinthfile = "FROM base\nTEMPLATE \"\"\"" + TOOL_TEMPLATE.replace("\\n", "\n") + "\"\"\"\n";
        Fixtures.create(Store.open(store), dir, "agent", plinthfile);
        return TestServers.config(store).withBatching(16, 64, 1024, 256L << 20);
    });

    static TestServers.Client client() {
        return SERVER.client();
    }

    static String request(String model, String choice, int seed, String extra) {
        return "{\"model\": \"" + model + "\", \"temperature\": 1.0, \"seed\": " + seed + ", \"max_tokens\": 80, \"tools\": " + TOOLS
                + (choice == null ? "" : ", \"tool_choice\": " + choice) + extra
                + ", \"messages\": [{\"role\": \"user\", \"content\": \"What is the weather in Paris?\"}]}";
    }

    @Test
    void aRequiredCallIsOneOfTheToolsWithValidArguments() throws Exception {
        for (int seed = 0; seed < 12; seed++) {
            String model = seed % 2 == 0 ? "agent" : "base";
            TestServers.Response r = client().post("/v1/chat/completions", request(model, "\"required\"", seed, ""));
            assertEquals(200, r.status(), r.body());
            JsonNode body = r.json();
            JsonNode choice = body.path("choices").get(0);
            assertEquals("tool_calls", choice.path("finish_reason").asText(), body.toString());
            assertTrue(choice.path("message").path("content").isNull());
            JsonNode call = choice.path("message").path("tool_calls").get(0);
            assertTrue(call.path("id").asText().startsWith("call_"));
            assertEquals("function", call.path("type").asText());
            String name = call.path("function").path("name").asText();
            String arguments = call.path("function").path("arguments").asText();
            assertTrue(PARAMETERS.containsKey(name), name);
            assertTrue(SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(PARAMETERS.get(name))
                    .validate(arguments, InputFormat.JSON).isEmpty(), arguments);
        }
    }

    @Test
    void aNamedToolIsTheOneCalled() throws Exception {
        JsonNode body = client().post("/v1/chat/completions",
                request("base", "{\"type\": \"function\", \"function\": {\"name\": \"add\"}}", 3, "")).json();
        assertEquals("add", body.path("choices").get(0).path("message").path("tool_calls").get(0).path("function").path("name")
                .asText());
        ApiTest.assertError(client().post("/v1/chat/completions",
                request("base", "{\"type\": \"function\", \"function\": {\"name\": \"nothing\"}}", 3, "")), 400, "tool_choice");
    }

    @Test
    void streamsTheCallAsOneDelta() throws Exception {
        TestServers.Response r = client().post("/v1/chat/completions", request("base", "\"required\"", 1, ", \"stream\": true"));
        JsonNode call = null;
        String finish = null;
        for (String e : r.events()) {
            if (e.equals("[DONE]")) {
                continue;
            }
            JsonNode choice = Json.MAPPER.readTree(e).path("choices").get(0);
            if (choice.path("delta").has("tool_calls")) {
                call = choice.path("delta").path("tool_calls").get(0);
            }
            if (!choice.path("finish_reason").isNull()) {
                finish = choice.path("finish_reason").asText();
            }
        }
        assertEquals("tool_calls", finish);
        assertEquals(0, call.path("index").asInt());
        assertTrue(PARAMETERS.containsKey(call.path("function").path("name").asText()));
    }

    @Test
    void theTemplateRendersTheTools() throws Exception {
        int with = client().post("/v1/chat/completions", request("agent", "\"none\"", 1, "")).json().path("usage")
                .path("prompt_tokens").asInt();
        int without = client().post("/v1/chat/completions", "{\"model\": \"agent\", \"max_tokens\": 2, \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"What is the weather in Paris?\"}]}").json().path("usage").path("prompt_tokens").asInt();
        assertTrue(with > without + 50, with + " vs " + without);
    }

    @Test
    void aConversationWithCallsAndResultsRenders() throws Exception {
        String body = "{\"model\": \"agent\", \"max_tokens\": 4, \"tools\": " + TOOLS + ", \"messages\": ["
                + "{\"role\": \"user\", \"content\": \"Weather in Paris?\"},"
                + "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\", "
                + "\"function\": {\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}}]},"
                + "{\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"sunny\"}]}";
        TestServers.Response r = client().post("/v1/chat/completions", body);
        assertEquals(200, r.status(), r.body());
    }

    @Test
    void callsAreParsedFromTaggedBlocksOrAWholeJsonReply() {
        Tools tools = Tools.parse(new Fields(Json.parseObject("{\"tools\": " + TOOLS + "}")));
        Tools.Reply tagged = tools.split("Let me look.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}"
                + "\n</tool_call>");
        assertEquals("Let me look.", tagged.content());
        assertEquals(List.of(new Tools.Call("get_weather", "{\"city\":\"Oslo\"}")), tagged.calls());
        Tools.Reply whole = tools.split(" {\"name\": \"add\", \"parameters\": {\"a\": 1, \"b\": 2}} ");
        assertNull(whole.content());
        assertEquals(List.of(new Tools.Call("add", "{\"a\":1,\"b\":2}")), whole.calls());
        Tools.Reply text = tools.split("It is sunny. {\"name\": \"unknown\"}");
        assertEquals("It is sunny. {\"name\": \"unknown\"}", text.content());
        assertTrue(text.calls().isEmpty());
    }
}
