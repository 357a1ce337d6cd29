package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 64 concurrent streaming clients on a small model for {@code -Dplinth.soak.seconds} (20 by
 * default, to keep CI short; the 60 s is {@code -Dplinth.soak.seconds=60}), a quarter of
 * them leaving midway through each stream: the others see no error, and afterwards no sequence,
 * KV cache or thread is left behind.
 */
class SoakTest {

    private static final int CLIENTS = 64;
    private static final int SECONDS = Integer.getInteger("plinth.soak.seconds", 20);

    @TempDir
    Path dir;

    @Test
    void streamsForAWhileWithAQuarterOfClientsLeaving() throws Exception {
        try (PlinthServer server = PlinthServer.start(TestServers.config(TestServers.store(dir))
                .withBatching(CLIENTS, 4 * CLIENTS, 256, 256L << 20))) {
            TestServers.Client warmup = new TestServers.Client(server);
            assertEquals(200, warmup.post("/v1/completions", "{\"model\": \"base\", \"prompt\": \"a\", \"max_tokens\": 4}").status());
            int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
            long end = System.nanoTime() + SECONDS * 1_000_000_000L;
            Queue<String> errors = new ConcurrentLinkedQueue<>();
            AtomicInteger completed = new AtomicInteger();
            AtomicInteger left = new AtomicInteger();
            TestServers.Client client = new TestServers.Client(server);
            List<Thread> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                boolean leaves = i % 4 == 0;
                SplittableRandom random = new SplittableRandom(i);
                clients.add(Thread.ofPlatform().name("soak-client-" + i).start(() -> {
                    while (System.nanoTime() < end && errors.size() < 10) {
                        String model = List.of("base", "tutor", "mail", "notes").get(random.nextInt(4));
                        String body = "{\"model\": \"" + model + "\", \"stream\": true, \"max_tokens\": " + (16 + random.nextInt(48))
                                + ", \"ignore_eos\": true, \"messages\": [{\"role\": \"user\", \"content\": \"Tell a story " + random.nextInt()
                                + "\"}]}";
                        try {
                            if (leaves) {
                                leaveMidway(server.port(), body, 200 + random.nextInt(400));
                                left.incrementAndGet();
                            } else {
                                streamWhole(client, body, errors);
                                completed.incrementAndGet();
                            }
                        } catch (Exception e) {
                            errors.add((leaves ? "leaving " : "") + "client: " + e);
                        }
                    }
                }));
            }
            for (Thread t : clients) {
                t.join();
            }
            client.http.close();
            assertTrue(errors.isEmpty(), errors.toString());
            assertTrue(completed.get() >= CLIENTS, "streams completed: " + completed);
            assertTrue(left.get() >= CLIENTS / 4, "streams left: " + left);
            System.out.printf("soak: %d s, %d streams completed, %d left midway%n", SECONDS, completed.get(), left.get());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while ((server.load().running() > 0 || server.load().queued() > 0) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(new PlinthServer.Load(0, 0, 0), server.load(), "no sequence or KV cache left behind");
            // the clients' HTTP threads and idle pool workers end asynchronously after close: give them
            // the same grace as the sequences above before counting what is left
            int threadsAfter = ManagementFactory.getThreadMXBean().getThreadCount();
            long settled = System.nanoTime() + 10_000_000_000L;
            while (threadsAfter > threadsBefore + 4 && System.nanoTime() < settled) {
                Thread.sleep(50);
                threadsAfter = ManagementFactory.getThreadMXBean().getThreadCount();
            }
            assertTrue(threadsAfter <= threadsBefore + 4, "threads before " + threadsBefore + ", after " + threadsAfter);
            assertEquals(200, warmup.post("/v1/completions", "{\"model\": \"base\", \"prompt\": \"a\", \"max_tokens\": 4}").status());
        }
    }

    /** Reads a whole stream; anything but chunks ending in [DONE] is an error. */
    private static void streamWhole(TestServers.Client client, String body, Queue<String> errors) throws Exception {
        TestServers.Response r = client.send(client.request("/v1/chat/completions")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        if (r.status() != 200) {
            errors.add("status " + r.status() + ": " + r.body());
            return;
        }
        List<String> events = r.events();
        if (events.isEmpty() || !events.getLast().equals("[DONE]")) {
            errors.add("a stream did not end with [DONE]: " + r.body());
            return;
        }
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode chunk = Json.MAPPER.readTree(e);
            if (chunk.has("error")) {
                errors.add("error event: " + e);
            }
        }
    }

    /** Sends a streaming request over a raw socket, reads {@code bytes} of the answer and hangs up. */
    private static void leaveMidway(int port, String body, int bytes) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            byte[] json = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + json.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(json);
            out.flush();
            InputStream in = socket.getInputStream();
            in.readNBytes(bytes);
        }
    }
}
