package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.model.DecoderModel;
import dev.plinth.model.Sampler;
import dev.plinth.model.BertModel;
import dev.plinth.model.Embedder;
import dev.plinth.model.TokenizerLoader;
import dev.plinth.product.ProductName;
import dev.plinth.product.Store;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The API in OpenAI's shapes, against a real server on loopback with a small store. */
class ApiTest {

    @RegisterExtension
    static final ServerExtension SERVER = new ServerExtension((dir, store) -> TestServers.config(store));

    static TestServers.Client client() {
        return SERVER.client();
    }

    static String chat(String model, String extra) {
        return "{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"user\", \"content\": \"Once upon a time\"}]"
                + (extra.isEmpty() ? "" : ", " + extra) + "}";
    }

    @Test
    void listsEveryProductWithItsParentAndBase() throws Exception {
        JsonNode body = client().get("/v1/models").json();
        assertEquals("list", body.path("object").asText());
        Set<String> ids = new HashSet<>();
        String root = null;
        for (JsonNode m : body.path("data")) {
            ids.add(m.path("id").asText());
            assertEquals("model", m.path("object").asText());
            if (m.path("id").asText().equals("tutor:latest")) {
                assertEquals("base:latest", m.path("parent").asText());
                root = m.path("root").asText();
                assertEquals("You explain words.", m.path("plinth").path("profile").path("system").asText());
            }
        }
        assertEquals(Set.of("base:latest", "tutor:latest", "mail:latest", "notes:latest", "bert-tiniest"), ids);
        for (JsonNode m : body.path("data")) {
            if (!m.path("id").asText().equals("bert-tiniest")) {
                assertEquals(root, m.path("root").asText(), "every product stands on the same weights");
            }
        }
        assertEquals(200, client().get("/v1/models/tutor").status());
        assertEquals(404, client().get("/v1/models/nothing").status());
    }

    @Test
    void chatCompletionHasOpenAisShape() throws Exception {
        JsonNode body = client().post("/v1/chat/completions", chat("base", "\"max_tokens\": 4, \"temperature\": 0")).json();
        assertEquals("chat.completion", body.path("object").asText());
        assertTrue(body.path("id").asText().startsWith("chatcmpl-"));
        JsonNode choice = body.path("choices").get(0);
        assertEquals("assistant", choice.path("message").path("role").asText());
        assertEquals("length", choice.path("finish_reason").asText());
        assertEquals(4, body.path("usage").path("completion_tokens").asInt());
        assertEquals(body.path("usage").path("prompt_tokens").asInt() + 4, body.path("usage").path("total_tokens").asInt());
    }

    @Test
    void seedsRepeatAndChoicesDiffer() throws Exception {
        String request = chat("base", "\"max_tokens\": 12, \"temperature\": 1.0, \"seed\": 7, \"n\": 3");
        JsonNode a = client().post("/v1/chat/completions", request).json();
        JsonNode b = client().post("/v1/chat/completions", request).json();
        assertEquals(3, a.path("choices").size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i, a.path("choices").get(i).path("index").asInt());
            assertEquals(text(a, i), text(b, i), "the same seed gives the same text");
        }
        assertTrue(!text(a, 0).equals(text(a, 1)) || !text(a, 1).equals(text(a, 2)), "n choices draw differently");
    }

    private static String text(JsonNode body, int choice) {
        return body.path("choices").get(choice).path("message").path("content").asText();
    }

    @Test
    void productDefaultsApplyWhereTheRequestIsSilent() throws Exception {
        JsonNode tutor = client().post("/v1/chat/completions", chat("tutor", "")).json();
        assertTrue(tutor.path("usage").path("completion_tokens").asInt() <= 5, "the product's max_tokens 5");
        JsonNode again = client().post("/v1/chat/completions", chat("tutor", "")).json();
        assertEquals(text(tutor, 0), text(again, 0), "the product's temperature 0");
        JsonNode shorter = client().post("/v1/chat/completions", chat("tutor", "\"max_tokens\": 2")).json();
        assertTrue(shorter.path("usage").path("completion_tokens").asInt() <= 2, "the request wins");
        int base = client().post("/v1/chat/completions", chat("base", "\"temperature\": 0, \"max_tokens\": 5")).json()
                .path("usage").path("prompt_tokens").asInt();
        assertTrue(tutor.path("usage").path("prompt_tokens").asInt() > base, "the system prompt is rendered");
    }

    @Test
    void adaptersChangeWhatAProductSays() throws Exception {
        String request = "\"max_tokens\": 16, \"temperature\": 0";
        String base = text(client().post("/v1/chat/completions", chat("base", request)).json(), 0);
        String mail = text(client().post("/v1/chat/completions", chat("mail", request)).json(), 0);
        assertNotEquals(base, mail);
    }

    @Test
    void streamsChunksWithUsageLast() throws Exception {
        TestServers.Response r = client().post("/v1/chat/completions",
                chat("base", "\"max_tokens\": 6, \"temperature\": 0, \"stream\": true, \"stream_options\": {\"include_usage\": true}"));
        assertEquals(200, r.status());
        assertTrue(r.raw().headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> events = r.events();
        assertEquals("[DONE]", events.getLast());
        JsonNode first = Json.MAPPER.readTree(events.getFirst());
        assertEquals("chat.completion.chunk", first.path("object").asText());
        assertEquals("assistant", first.path("choices").get(0).path("delta").path("role").asText());
        assertTrue(first.has("usage") && first.path("usage").isNull());
        JsonNode usage = Json.MAPPER.readTree(events.get(events.size() - 2));
        assertEquals(0, usage.path("choices").size());
        assertEquals(6, usage.path("usage").path("completion_tokens").asInt());
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (String e : events.subList(0, events.size() - 2)) {
            JsonNode choice = Json.MAPPER.readTree(e).path("choices").get(0);
            text.append(choice.path("delta").path("content").asText(""));
            if (!choice.path("finish_reason").isNull()) {
                finish = choice.path("finish_reason").asText();
            }
        }
        assertEquals("length", finish);
        String whole = text(client().post("/v1/chat/completions", chat("base", "\"max_tokens\": 6, \"temperature\": 0")).json(), 0);
        assertEquals(whole, text.toString(), "the streamed pieces add up to the whole reply");
    }

    @Test
    void logprobsAndLogitBias() throws Exception {
        JsonNode body = client().post("/v1/chat/completions",
                chat("base", "\"max_tokens\": 3, \"temperature\": 0, \"logprobs\": true, \"top_logprobs\": 2")).json();
        JsonNode content = body.path("choices").get(0).path("logprobs").path("content");
        assertEquals(3, content.size());
        for (JsonNode entry : content) {
            assertTrue(entry.path("logprob").asDouble() <= 0);
            assertEquals(2, entry.path("top_logprobs").size());
            assertEquals(entry.path("token").asText(), entry.path("top_logprobs").get(0).path("token").asText(),
                    "greedy picks the most likely token");
        }
        JsonNode biased = client().post("/v1/chat/completions",
                chat("base", "\"max_tokens\": 3, \"temperature\": 0, \"logprobs\": true, \"logit_bias\": {\"100\": 100}")).json();
        for (JsonNode entry : biased.path("choices").get(0).path("logprobs").path("content")) {
            assertEquals(Logprobs.text(tokenizer(), 100), entry.path("token").asText());
        }
    }

    @Test
    void stopStringsEndTheReply() throws Exception {
        String whole = text(client().post("/v1/chat/completions", chat("base", "\"max_tokens\": 24, \"temperature\": 0")).json(), 0);
        String stop = whole.substring(whole.length() / 2, whole.length() / 2 + 2);
        JsonNode cut = client().post("/v1/chat/completions", chat("base",
                "\"max_tokens\": 24, \"temperature\": 0, \"stop\": [" + Json.MAPPER.writeValueAsString(stop) + "]")).json();
        assertEquals(whole.substring(0, whole.indexOf(stop)), text(cut, 0));
        assertEquals("stop", cut.path("choices").get(0).path("finish_reason").asText());
    }

    @Test
    void completionsTakeStringsAndTokenIds() throws Exception {
        JsonNode one = client().post("/v1/completions", "{\"model\": \"base\", \"prompt\": \"Once upon\", \"max_tokens\": 5, "
                + "\"temperature\": 0}").json();
        assertEquals("text_completion", one.path("object").asText());
        int[] ids = tokenizer().encode("Once upon", true, true);
        JsonNode byIds = client().post("/v1/completions", "{\"model\": \"base\", \"prompt\": " + Json.MAPPER.writeValueAsString(ids)
                + ", \"max_tokens\": 5, \"temperature\": 0}").json();
        assertEquals(one.path("choices").get(0).path("text").asText(), byIds.path("choices").get(0).path("text").asText());
        JsonNode many = client().post("/v1/completions", "{\"model\": \"base\", \"prompt\": [\"Once upon\", \"The cat\"], "
                + "\"max_tokens\": 3, \"n\": 2, \"temperature\": 0}").json();
        assertEquals(4, many.path("choices").size());
        JsonNode lists = client().post("/v1/completions", "{\"model\": \"base\", \"prompt\": [[1, 2, 3], [1, 5]], \"max_tokens\": 2}")
                .json();
        assertEquals(2, lists.path("choices").size());
    }

    /** lm-evaluation-harness's local-completions: echo, logprobs 1, max_tokens 1, a token-id prompt. */
    @Test
    void echoScoresThePromptAsTheModelDoes() throws Exception {
        int[] ids = tokenizer().encode("Once upon a time there was a cat", true, true);
        JsonNode body = client().post("/v1/completions", "{\"model\": \"base\", \"prompt\": " + Json.MAPPER.writeValueAsString(ids)
                + ", \"echo\": true, \"logprobs\": 1, \"max_tokens\": 1, \"temperature\": 0}").json();
        JsonNode lp = body.path("choices").get(0).path("logprobs");
        JsonNode tokenLogprobs = lp.path("token_logprobs");
        assertEquals(ids.length + 1, tokenLogprobs.size());
        assertTrue(tokenLogprobs.get(0).isNull());
        List<Float> expected = new ArrayList<>();
        try (DecoderModel model = DecoderModel.open(weights())) {
            float[] rows = model.forwardAll(model.newSession(64), ids);
            int vocab = model.vocabSize();
            for (int i = 1; i < ids.length; i++) {
                float[] row = java.util.Arrays.copyOfRange(rows, (i - 1) * vocab, i * vocab);
                expected.add(Sampler.logProbs(row, ids[i], 0).logprob());
            }
        }
        for (int i = 1; i < ids.length; i++) {
            assertEquals(expected.get(i - 1), tokenLogprobs.get(i).floatValue(), 1e-4, "token " + i);
        }
        assertTrue(body.path("choices").get(0).path("text").asText().startsWith(tokenizer().decode(ids)));
        JsonNode scoreOnly = client().post("/v1/completions", "{\"model\": \"base\", \"prompt\": " + Json.MAPPER.writeValueAsString(ids)
                + ", \"echo\": true, \"logprobs\": 0, \"max_tokens\": 0}").json();
        assertEquals(ids.length, scoreOnly.path("choices").get(0).path("logprobs").path("token_logprobs").size());
        assertEquals(0, scoreOnly.path("usage").path("completion_tokens").asInt());
    }

    @Test
    void embeddingsAsFloatsAndBase64() throws Exception {
        JsonNode floats = client().post("/v1/embeddings", "{\"model\": \"bert-tiniest\", \"input\": [\"a cat\", \"a dog\"]}").json();
        assertEquals(2, floats.path("data").size());
        JsonNode base64 = client().post("/v1/embeddings", "{\"model\": \"bert-tiniest\", \"input\": \"a dog\", "
                + "\"encoding_format\": \"base64\"}").json();
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(base64.path("data").get(0).path("embedding").asText()))
                .order(ByteOrder.LITTLE_ENDIAN);
        JsonNode dog = floats.path("data").get(1).path("embedding");
        assertEquals(dog.size() * 4, bytes.remaining());
        float[] expected;
        try (BertModel bert = BertModel.load(TestServers.encoder());
             TokenizerLoader tok = TokenizerLoader.open(TestServers.encoder(), null)) {
            expected = Embedder.meanNormalized(bert, tok.tokenizer()).embed(List.of("a dog"))[0];
        }
        for (int i = 0; i < dog.size(); i++) {
            assertEquals(expected[i], dog.get(i).floatValue(), 1e-6);
            assertEquals(expected[i], bytes.getFloat(), 1e-6);
        }
        assertEquals(400, client().post("/v1/embeddings", "{\"model\": \"base\", \"input\": \"x\"}").status());
    }

    @Test
    void errorsAreOpenAiErrorObjects() throws Exception {
        assertError(client().post("/v1/chat/completions", "{not json"), 400, null);
        assertError(client().post("/v1/chat/completions", chat("nothing", "")), 404, "model");
        assertError(client().post("/v1/chat/completions", chat("base", "\"n\": 10000")), 400, "n");
        assertError(client().post("/v1/chat/completions", chat("base", "\"temperature\": \"hot\"")), 400, "temperature");
        assertError(client().postBytes("/v1/chat/completions", new byte[9 << 20]), 413, null);
        assertError(client().get("/v1/chat/completions"), 405, null);
        assertError(client().get("/v1/nothing"), 404, null);
        String longPrompt = "word ".repeat(400);
        TestServers.Response over = client().post("/v1/completions", "{\"model\": \"base\", \"prompt\": \"" + longPrompt + "\"}");
        assertError(over, 400, "prompt");
        assertEquals("context_length_exceeded", over.json().path("error").path("code").asText());
        assertTrue(over.json().path("error").path("message").asText().contains("maximum context length is 256 tokens"),
                over.body());
        TestServers.Response tooMany = client().post("/v1/completions", "{\"model\": \"base\", \"prompt\": \"Once\", \"max_tokens\": 300}");
        assertError(tooMany, 400, "max_tokens");
    }

    static void assertError(TestServers.Response r, int status, String param) throws Exception {
        assertEquals(status, r.status(), r.body());
        JsonNode error = r.json().path("error");
        for (String key : List.of("message", "type", "param", "code")) {
            assertTrue(error.has(key), key + " in " + r.body());
        }
        if (param != null) {
            assertEquals(param, error.path("param").asText());
        } else {
            assertNull(error.path("param").textValue());
        }
    }

    @Test
    void healthAndMetrics() throws Exception {
        JsonNode health = client().get("/health").json();
        assertEquals("ok", health.path("status").asText());
        client().post("/v1/chat/completions", chat("base", "\"max_tokens\": 2"));
        String metrics = client().get("/metrics").body();
        for (String name : List.of("plinth_requests_total", "plinth_tokens_total", "plinth_queue_length",
                "plinth_batch_size", "plinth_time_to_first_token_seconds", "plinth_kv_cache_bytes")) {
            assertTrue(metrics.contains(name), name + " in\n" + metrics);
        }
    }

    static dev.plinth.text.Tokenizer tokenizer() throws Exception {
        return TokenizerLoader.open(weights(), null).tokenizer();
    }

    static Path weights() throws Exception {
        return Store.open(SERVER.store()).product(ProductName.parse("base")).weightsFile();
    }
}
