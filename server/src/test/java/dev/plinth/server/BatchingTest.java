package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.model.GenerationRequest;
import dev.plinth.model.Generator;
import dev.plinth.model.ModelRuntime;
import dev.plinth.model.SamplingParams;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.model.DecoderConfig;
import dev.plinth.product.Fixtures;
import dev.plinth.product.ProductName;
import dev.plinth.product.Store;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduler through the API: products on one base share one loaded copy and one batch, mixed
 * adapters give each product's own answer, long prompts are prefilled in chunks, the KV budget
 * queues or refuses, a client that goes away is cancelled, and new products appear while serving.
 */
class BatchingTest {

    @TempDir
    Path dir;

    static String chat(String model, String content, int maxTokens) {
        return "{\"model\": \"" + model + "\", \"temperature\": 0, \"max_tokens\": " + maxTokens
                + ", \"messages\": [{\"role\": \"user\", \"content\": \"" + content + "\"}]}";
    }

    static String text(JsonNode body) {
        return body.path("choices").get(0).path("message").path("content").asText();
    }

    @Test
    void productsOnOneBaseShareABatchAndEachKeepsItsAdapters() throws Exception {
        Path store = TestServers.store(dir);
        try (PlinthServer server = PlinthServer.start(TestServers.config(store))) {
            TestServers.Client client = new TestServers.Client(server);
            assertEquals(1, client.get("/health").json().path("bases").asInt(), "four products, one base loaded");
            List<String> models = List.of("base", "mail", "notes", "tutor");
            Map<String, String> alone = new java.util.HashMap<>();
            for (String m : models) {
                alone.put(m, text(client.post("/v1/chat/completions", chat(m, "Once upon a time", 48)).json()));
            }
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                List<Future<String>> answers = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    String m = models.get(i % models.size());
                    answers.add(pool.submit(() -> m + "=" + text(client.post("/v1/chat/completions",
                            chat(m, "Once upon a time", 48)).json())));
                }
                for (Future<String> f : answers) {
                    String[] parts = f.get().split("=", 2);
                    assertEquals(alone.get(parts[0]), parts[1], parts[0] + " batched with other products says what it says alone");
                }
            } finally {
                pool.shutdown();
            }
            assertTrue(metric(client, "plinth_batch_size_max") > 1, "requests joined one batch");
            assertEquals(0, server.load().running());
            assertEquals(0, server.load().kvBytes());
        }
    }

    static double metric(TestServers.Client client, String name) throws Exception {
        for (String line : client.get("/metrics").body().lines().toList()) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError(name + " not in /metrics");
    }

    @Test
    void aLongPromptPrefilledInChunksGivesWhatTheGeneratorGives() throws Exception {
        Path store = TestServers.store(dir);
        String prompt = "Once upon a time there was a little girl who liked to play in the park with her dog. ".repeat(6);
        try (PlinthServer server = PlinthServer.start(TestServers.config(store).withBatching(8, 8, 512, 64L << 20))) {
            TestServers.Client client = new TestServers.Client(server);
            JsonNode body = client.post("/v1/completions", "{\"model\": \"base\", \"temperature\": 0, \"max_tokens\": 24, "
                    + "\"prompt\": \"" + prompt + "\"}").json();
            assertTrue(body.path("usage").path("prompt_tokens").asInt() > 2 * Scheduler.PREFILL_CHUNK, body.toString());
            Path weights = Store.open(store).product(ProductName.parse("base")).weightsFile();
            try (ModelRuntime rt = ModelRuntime.open(weights, null)) {
                int[] ids = rt.tokenizer().encode(prompt, true, true);
                String expected = new Generator(rt.tokenizer()).generate(rt.newSequence(512), ids,
                        GenerationRequest.of(SamplingParams.greedy(), 24)).text();
                assertEquals(expected, body.path("choices").get(0).path("text").asText());
            }
        }
    }

    @Test
    void theKvBudgetQueuesThenRefuses() throws Exception {
        Path store = TestServers.store(dir);
        ServerConfig config = TestServers.config(store);
        long perSequence;
        try (ModelRuntime rt = ModelRuntime.open(Store.open(store).product(ProductName.parse("base")).weightsFile(), null)) {
            DecoderConfig c = rt.model().config();
            perSequence = 64L * c.kvDim() * c.layers() * 2 * Float.BYTES;
        }
        try (PlinthServer server = PlinthServer.start(config.withBatching(8, 2, 128, perSequence))) {
            TestServers.Client client = new TestServers.Client(server);
            String request = "{\"model\": \"base\", \"prompt\": \"Once\", \"max_tokens\": 40, \"n\": 2, \"temperature\": 0, "
                    + "\"ignore_eos\": true}";
            JsonNode two = client.post("/v1/completions", request).json();
            assertEquals(2, two.path("choices").size(), "two sequences that fit one at a time both ran");
            assertEquals(1, metric(client, "plinth_batch_size_max"), "one at a time");
            TestServers.Response full = client.post("/v1/completions", request.replace("\"n\": 2", "\"n\": 3"));
            ApiTest.assertError(full, 429, null);
            assertEquals("1", full.raw().headers().firstValue("Retry-After").orElse(null));
            TestServers.Response huge = client.post("/v1/completions", "{\"model\": \"base\", \"prompt\": \"Once\", \"max_tokens\": 100}");
            ApiTest.assertError(huge, 400, null);
            assertTrue(huge.json().path("error").path("message").asText().contains("KV cache"), huge.body());
        }
    }

    @Test
    void aClientThatGoesAwayIsCancelledAtOnce() throws Exception {
        Path weights = dir.resolve("slow.gguf");
        RandomModels.builder(DecoderConfig.builder("llama").hiddenSize(384).layers(6).heads(6).kvHeads(6).ffnSize(1024)
                .vocabSize(512).contextLength(1024).build()).seed(3).writeGguf(weights);
        ServerConfig config = ServerConfig.defaults(null).withAddress("127.0.0.1", 0).withModelFiles(List.of(weights))
                .withBatching(8, 8, 1024, 256L << 20);
        try (PlinthServer server = PlinthServer.start(config)) {
            TestServers.Client client = new TestServers.Client(server);
            HttpRequest request = client.request("/v1/completions").POST(HttpRequest.BodyPublishers.ofString(
                    "{\"model\": \"slow\", \"prompt\": \"a\", \"max_tokens\": 1000, \"stream\": true, \"ignore_eos\": true}"))
                    .build();
            HttpResponse<InputStream> response = client.http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                String first = new String(in.readNBytes(64), StandardCharsets.UTF_8);
                assertTrue(first.startsWith("data: "), first);
                assertEquals(1, server.load().running());
            }
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (server.load().running() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, server.load().running(), "the sequence ended when its client went away");
            assertEquals(0, server.load().kvBytes());
            assertTrue(metric(client, "plinth_tokens_total{kind=\"completion\"}") < 1000, "it did not run to the end");
        }
    }

    @Test
    void aProductCreatedWhileServingIsServed() throws Exception {
        Path store = TestServers.store(dir);
        try (PlinthServer server = PlinthServer.start(TestServers.config(store))) {
            TestServers.Client client = new TestServers.Client(server);
            assertEquals(404, client.post("/v1/chat/completions", chat("late", "hi", 2)).status());
            Fixtures.create(Store.open(store), dir, "late", "FROM base\nSYSTEM You came late.\n");
            assertEquals(200, client.post("/v1/chat/completions", chat("late", "hi", 2)).status());
            assertTrue(client.get("/v1/models").body().contains("\"late:latest\""));
            assertEquals(1, client.get("/health").json().path("bases").asInt(), "on the base already loaded");
        }
    }
}
