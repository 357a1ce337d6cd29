package dev.plinth.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.SharedData;
import dev.plinth.product.Fixtures;
import dev.plinth.product.Store;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A store of small products for the server tests, and a plain HTTP client: stories260K as product
 * {@code base}, {@code tutor} on it (a system prompt and parameters), {@code mail} and {@code
 * notes} on it with different LoRA adapters, and bert-tiniest served as a file for embeddings.
 */
final class TestServers {

    static final String TUTOR = """
            FROM base
            SYSTEM You explain words.
            PARAMETER temperature 0
            PARAMETER max_tokens 5
            """;

    private TestServers() {
    }

    /** Creates the products in a store under {@code dir}; returns the store's root. */
    static Path store(Path dir) throws IOException {
        Path root = dir.resolve("store");
        Store store = Store.open(root);
        Path stories = Fixtures.stories(dir.resolve("models"));
        Fixtures.create(store, dir, "base", "FROM " + stories + "\n");
        Fixtures.create(store, dir, "tutor", TUTOR);
        Fixtures.create(store, dir, "mail", "FROM base\nADAPTER " + Fixtures.loraGguf(dir.resolve("a/mail.gguf"), "llama") + " 1\n");
        Fixtures.create(store, dir, "notes", "FROM base\nADAPTER " + Fixtures.loraGguf(dir.resolve("a/notes.gguf"), "llama")
                + " 0.5\n");
        return root;
    }

    static Path encoder() {
        return SharedData.require("models/bert-tiniest");
    }

    /** A server on a free loopback port with every product of the store and the encoder. */
    static ServerConfig config(Path store) {
        return ServerConfig.defaults(store).withAddress("127.0.0.1", 0).withModelFiles(List.of(encoder()))
                .withBatching(16, 64, 256, 256L << 20);
    }

    /** A plain JSON client of one server. */
    static final class Client {
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        final String base;
        String key;

        Client(PlinthServer server) {
            this.base = "http://127.0.0.1:" + server.port();
        }

        Response get(String path) throws IOException, InterruptedException {
            return send(request(path).GET().build());
        }

        Response post(String path, String body) throws IOException, InterruptedException {
            return send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                    .build());
        }

        Response postBytes(String path, byte[] body) throws IOException, InterruptedException {
            return send(request(path).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .header("Content-Type", "application/json").build());
        }

        HttpRequest.Builder request(String path) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
            if (key != null) {
                b.header("Authorization", "Bearer " + key);
            }
            return b;
        }

        Response send(HttpRequest request) throws IOException, InterruptedException {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r);
        }
    }

    record Response(int status, String body, HttpResponse<String> raw) {
        JsonNode json() throws IOException {
            return Json.MAPPER.readTree(body);
        }

        /** The {@code data:} payloads of a server-sent event stream, [DONE] included. */
        List<String> events() {
            return body.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        }
    }
}
