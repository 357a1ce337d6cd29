package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loopback by default, hashed API keys scoped to products, limits, and CORS only when configured. */
class SecurityTest {

    @TempDir
    Path dir;

    @Test
    void bindsLoopbackByDefault() {
        assertEquals("127.0.0.1", ServerConfig.defaults(null).host());
        assertTrue(ServerConfig.defaults(null).corsOrigins().isEmpty());
    }

    @Test
    void withoutKeysOnlyLoopbackClientsAreServed() throws Exception {
        assertEquals(Access.EVERYTHING, Access.of(null, InetAddress.getLoopbackAddress(), null));
        assertEquals(Access.EVERYTHING, Access.of(null, InetAddress.getByName("::1"), null));
        ApiException e = assertThrows(ApiException.class, () -> Access.of(null, InetAddress.getByName("192.0.2.7"), null));
        assertEquals(403, e.status());
    }

    @Test
    void keysAreStoredHashedAndScopedToProducts() throws Exception {
        String tutorKey = ApiKeys.newKey();
        String allKey = ApiKeys.newKey();
        Path keys = Files.writeString(dir.resolve("keys"), "# keys\n" + ApiKeys.line(tutorKey, "tutor") + "\n"
                + ApiKeys.line(allKey, "*") + "\n");
        assertFalse(Files.readString(keys).contains(tutorKey), "the file holds hashes only");
        Path store = TestServers.store(dir);
        try (PlinthServer server = PlinthServer.start(TestServers.config(store).withApiKeys(keys))) {
            TestServers.Client client = new TestServers.Client(server);
            String chat = "{\"model\": \"%s\", \"max_tokens\": 2, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
            ApiTest.assertError(client.post("/v1/chat/completions", chat.formatted("tutor")), 401, null);
            client.key = "plinth-wrong";
            ApiTest.assertError(client.post("/v1/chat/completions", chat.formatted("tutor")), 401, null);
            ApiTest.assertError(client.get("/metrics"), 401, null);
            client.key = tutorKey;
            assertEquals(200, client.post("/v1/chat/completions", chat.formatted("tutor")).status());
            assertEquals(200, client.post("/v1/chat/completions", chat.formatted("tutor:latest")).status());
            ApiTest.assertError(client.post("/v1/chat/completions", chat.formatted("base")), 403, null);
            List<String> listed = client.get("/v1/models").json().findValuesAsText("id");
            assertEquals(List.of("tutor:latest"), listed);
            client.key = allKey;
            assertEquals(200, client.post("/v1/chat/completions", chat.formatted("base")).status());
            assertEquals(200, client.get("/metrics").status());
            client.key = null;
            assertEquals(200, client.get("/health").status(), "health needs no key");
        }
    }

    @Test
    void aMalformedKeyFileIsRefusedNamingTheLine() throws Exception {
        Path keys = Files.writeString(dir.resolve("keys"), "sha256:abc tutor\n");
        Exception e = assertThrows(java.io.IOException.class, () -> ApiKeys.read(keys));
        assertTrue(e.getMessage().contains("keys:1"), e.getMessage());
    }

    @Test
    void limitsOnBodyTokensChoicesAndContext() throws Exception {
        Path store = TestServers.store(dir);
        try (PlinthServer server = PlinthServer.start(TestServers.config(store).withLimits(4096, 50, 4))) {
            TestServers.Client client = new TestServers.Client(server);
            ApiTest.assertError(client.post("/v1/completions", "{\"model\": \"base\", \"prompt\": \"" + "x".repeat(5000) + "\"}"),
                    413, null);
            ApiTest.assertError(client.post("/v1/completions", "{\"model\": \"base\", \"prompt\": \"a\", \"max_tokens\": 51}"),
                    400, "max_tokens");
            ApiTest.assertError(client.post("/v1/completions", "{\"model\": \"base\", \"prompt\": \"a\", \"n\": 5}"), 400, "n");
            assertEquals(200, client.post("/v1/completions", "{\"model\": \"base\", \"prompt\": \"a\", \"n\": 4, \"max_tokens\": 50}")
                    .status());
        }
    }

    @Test
    void corsIsOffUnlessConfigured() throws Exception {
        Path store = TestServers.store(dir);
        try (PlinthServer server = PlinthServer.start(TestServers.config(store))) {
            TestServers.Client client = new TestServers.Client(server);
            var r = client.send(client.request("/v1/models").header("Origin", "http://example.test").GET().build());
            assertTrue(r.raw().headers().firstValue("Access-Control-Allow-Origin").isEmpty());
        }
        try (PlinthServer server = PlinthServer.start(TestServers.config(store).withCors(List.of("http://ui.test")))) {
            TestServers.Client client = new TestServers.Client(server);
            var allowed = client.send(client.request("/v1/models").header("Origin", "http://ui.test").GET().build());
            assertEquals("http://ui.test", allowed.raw().headers().firstValue("Access-Control-Allow-Origin").orElse(null));
            var other = client.send(client.request("/v1/models").header("Origin", "http://other.test").GET().build());
            assertTrue(other.raw().headers().firstValue("Access-Control-Allow-Origin").isEmpty());
            var preflight = client.send(client.request("/v1/chat/completions").header("Origin", "http://ui.test")
                    .header("Access-Control-Request-Method", "POST").method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build());
            assertEquals(204, preflight.status());
            assertTrue(preflight.raw().headers().firstValue("Access-Control-Allow-Headers").orElse("").contains("Authorization"));
        }
    }
}
