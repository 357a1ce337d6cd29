package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 malformed or hostile requests (seeded: {@code -Dplinth.hostile.seed}): each is answered
 * with a 4xx and an OpenAI error object, never a 5xx, and the server still answers afterwards.
 */
class HostileRequestsTest {

    private static final int CASES = Integer.getInteger("plinth.hostile.cases", 1000);
    private static final long SEED = Long.getLong("plinth.hostile.seed", 12);

    @TempDir
    Path dir;

    /** One hostile request: where it goes, its method and its body bytes. */
    record Hostile(String kind, String method, String path, byte[] body) {
    }

    private static final String CHAT = "/v1/chat/completions";
    private static final String COMPLETIONS = "/v1/completions";
    private static final String EMBEDDINGS = "/v1/embeddings";

    /** Values of the wrong type for each field of {@link #validChat()}. */
    private static final Map<String, String[]> WRONG_TYPES = Map.of(
            "temperature", new String[] {"\"x\"", "[]", "{}", "true", "-1", "3"},
            "max_tokens", new String[] {"\"x\"", "[]", "0", "-1", "1.5", "true"},
            "n", new String[] {"\"2\"", "[]", "0", "-3", "{}"},
            "stop", new String[] {"5", "{}", "[1, 2]", "\"\"", "true"},
            "seed", new String[] {"\"x\"", "1.5", "[]"},
            "messages", new String[] {"\"hi\"", "{}", "5", "[1]"},
            "logprobs", new String[] {"\"yes\"", "1", "[]"},
            "top_p", new String[] {"2", "-0.5", "\"x\""},
            "logit_bias", new String[] {"[]", "5", "\"x\""},
            "model", new String[] {"5", "[]", "{}", "true"});

    /** The kinds of hostility, each making a request from a random source. */
    private static final Map<String, Function<SplittableRandom, Hostile>> KINDS = new TreeMap<>(Map.ofEntries(
            Map.entry("bad-json", r -> chat("bad-json", truncated(r, validChat()))),
            Map.entry("random-bytes", r -> new Hostile("random-bytes", "POST", pick(r, CHAT, COMPLETIONS, EMBEDDINGS),
                    randomBytes(r, 1 + r.nextInt(400)))),
            Map.entry("invalid-utf8", r -> chat("invalid-utf8", invalidUtf8(r))),
            Map.entry("wrong-type", r -> {
                String field = pick(r, WRONG_TYPES.keySet().toArray(String[]::new));
                return chat("wrong-type", replaceField(r, field, pick(r, WRONG_TYPES.get(field))));
            }),
            Map.entry("huge-number", r -> chat("huge-number", replaceField(r, pick(r, "temperature", "max_tokens", "n", "seed",
                    "top_k", "top_logprobs"), pick(r, "1e309", "-1e309", "99999999999999999999999", "1e30", "-9223372036854775809")))),
            Map.entry("unknown-model", r -> chat("unknown-model", replaceField(r, "model", "\"no-such-" + r.nextInt(1000) + "\""))),
            Map.entry("over-context", r -> new Hostile("over-context", "POST", COMPLETIONS, ("{\"model\": \"base\", \"prompt\": \""
                    + "once upon a time ".repeat(100 + r.nextInt(400)) + "\"}").getBytes(StandardCharsets.UTF_8))),
            Map.entry("many-choices", r -> chat("many-choices", replaceField(r, "n", pick(r, "10000", "17", "1000000")))),
            Map.entry("deep-nesting", r -> chat("deep-nesting", ("{\"model\": \"base\", \"messages\": " + "[".repeat(200 + r.nextInt(5000))
                    + "]".repeat(10)).getBytes(StandardCharsets.UTF_8))),
            Map.entry("bad-messages", r -> chat("bad-messages", ("{\"model\": \"base\", \"messages\": " + pick(r, "[]",
                    "[{\"role\": \"wizard\", \"content\": \"x\"}]", "[{\"content\": \"x\"}]", "[\"hi\"]",
                    "[{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]", "[{\"role\": \"user\", \"content\": 5}]")
                    + "}").getBytes(StandardCharsets.UTF_8))),
            Map.entry("bad-logit-bias", r -> chat("bad-logit-bias", replaceField(r, "logit_bias", pick(r, "{\"x\": 1}",
                    "{\"-1\": 5}", "{\"99999999\": 1}", "{\"1\": 101}", "{\"1\": \"a\"}")))),
            Map.entry("too-many-stops", r -> chat("too-many-stops", replaceField(r, "stop", pick(r, "[\"\"]",
                    Arrays.toString(new String[17]).replace("null", "\"s\""), "[1]")))),
            Map.entry("bad-prompt", r -> new Hostile("bad-prompt", "POST", COMPLETIONS, ("{\"model\": \"base\", \"prompt\": "
                    + pick(r, "[]", "[[]]", "[-1]", "[999999]", "{}", "null", "[1.5]", "[\"a\", 3]") + "}")
                    .getBytes(StandardCharsets.UTF_8))),
            Map.entry("bad-embedding", r -> new Hostile("bad-embedding", "POST", EMBEDDINGS, ("{\"model\": \"" + pick(r,
                    "bert-tiniest", "base") + "\", \"input\": " + pick(r, "[]", "\"\"", "[\"\"]", "[-3]", "5", "null", "[[]]")
                    + ", \"encoding_format\": " + pick(r, "\"float\"", "\"hex\"") + "}").getBytes(StandardCharsets.UTF_8))),
            Map.entry("wrong-method", r -> new Hostile("wrong-method", pick(r, "GET", "PUT", "DELETE", "PATCH"),
                    pick(r, CHAT, COMPLETIONS, EMBEDDINGS), new byte[0])),
            Map.entry("unknown-path", r -> new Hostile("unknown-path", pick(r, "GET", "POST"), pick(r, "/v1/chat", "/v2/models",
                    "/v1/models/../../etc/passwd", "/admin", "/v1/completions/x"), new byte[0])),
            Map.entry("not-an-object", r -> chat("not-an-object", pick(r, "[]", "1", "\"text\"", "null", "true", "")
                    .getBytes(StandardCharsets.UTF_8))),
            Map.entry("ten-megabytes", r -> chat("ten-megabytes", tenMegabytes()))));

    private static String validChat() {
        return "{\"model\": \"base\", \"max_tokens\": 2, \"temperature\": 0.5, \"n\": 1, \"stop\": [\"x\"], \"seed\": 1, "
                + "\"top_p\": 0.9, \"top_k\": 4, \"top_logprobs\": 1, \"logprobs\": true, \"stream\": false, \"logit_bias\": {\"1\": 1}, "
                + "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
    }

    private static Hostile chat(String kind, byte[] body) {
        return new Hostile(kind, "POST", CHAT, body);
    }

    private static byte[] replaceField(SplittableRandom r, String field, String value) {
        String json = validChat().replaceFirst("\"" + field + "\": (\\[[^\\]]*\\]|\\{[^}]*\\}|\"[^\"]*\"|[^,}]+)",
                "\"" + field + "\": " + java.util.regex.Matcher.quoteReplacement(value));
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] truncated(SplittableRandom r, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(bytes, r.nextInt(bytes.length - 1));
    }

    private static byte[] randomBytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static byte[] invalidUtf8(SplittableRandom r) {
        byte[] valid = validChat().getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(valid, valid.length);
        int at = valid.length - 10;
        int[] bad = {0xC3, 0xFF, 0x80, 0xED};
        out[at] = (byte) bad[r.nextInt(bad.length)];
        return out;
    }

    private static byte[] tenMegabytes() {
        byte[] b = new byte[10 << 20];
        Arrays.fill(b, (byte) ' ');
        b[0] = '{';
        return b;
    }

    @SafeVarargs
    private static <T> T pick(SplittableRandom r, T... options) {
        return options[r.nextInt(options.length)];
    }

    @Test
    void everyHostileRequestGetsA4xxErrorObjectAndTheServerStillAnswers() throws Exception {
        try (PlinthServer server = PlinthServer.start(TestServers.config(TestServers.store(dir)))) {
            TestServers.Client client = new TestServers.Client(server);
            List<String> kinds = new ArrayList<>(KINDS.keySet());
            SplittableRandom random = new SplittableRandom(SEED);
            List<Hostile> cases = new ArrayList<>();
            for (int i = 0; i < CASES; i++) {
                String kind = kinds.get(i % kinds.size());
                cases.add(KINDS.get(kind).apply(random.split()));
            }
            Map<String, Integer> byStatus = new ConcurrentHashMap<>();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (Hostile h : cases) {
                    done.add(pool.submit(() -> {
                        TestServers.Response r;
                        try {
                            r = client.send(client.request(h.path())
                                    .method(h.method(), h.body().length == 0 ? HttpRequest.BodyPublishers.noBody()
                                            : HttpRequest.BodyPublishers.ofByteArray(h.body())).build());
                        } catch (java.io.IOException e) {
                            throw new AssertionError(h.kind() + " " + h.method() + " " + h.path() + ": no answer", e);
                        }
                        String what = h.kind() + " " + h.method() + " " + h.path() + " -> " + r.status() + " " + r.body();
                        assertTrue(r.status() >= 400 && r.status() < 500, what);
                        JsonNode error = r.json().path("error");
                        for (String key : List.of("message", "type", "param", "code")) {
                            assertTrue(error.has(key), key + " missing: " + what);
                        }
                        byStatus.merge(h.kind() + " " + r.status(), 1, Integer::sum);
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            System.out.println("hostile requests by kind and status: " + new TreeMap<>(byStatus));
            assertEquals(200, client.post(CHAT, validChat()).status(), "the server still answers");
            assertEquals(0, server.load().running());
            assertEquals(0, server.load().queued());
        }
    }
}
