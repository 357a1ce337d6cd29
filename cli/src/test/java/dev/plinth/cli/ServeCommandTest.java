package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.server.ApiKeys;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plinth serve} as a user runs it: a process that serves until it is stopped. */
class ServeCommandTest {

    @TempDir
    Path tmp;

    @Test
    void servesAModelFileUntilStopped() throws Exception {
        Path model = SharedData.require("models/stories260K/stories260K.gguf");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "serve", "--port", "0", "--memory", "64m", model.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PLINTH_HOME", tmp.resolve("home").toString());
        Process process = pb.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            Pattern serving = Pattern.compile("serving (.*) on http://127\\.0\\.0\\.1:(\\d+)/");
            Matcher m = null;
            while (m == null) {
                String line = out.readLine();
                assertTrue(line != null, "the server stopped before saying where it listens");
                Matcher candidate = serving.matcher(line);
                m = candidate.find() ? candidate : null;
            }
            assertEquals("stories260K", m.group(1));
            HttpResponse<String> models = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + m.group(2) + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, models.statusCode());
            assertTrue(models.body().contains("\"id\":\"stories260K\""), models.body());
        } finally {
            process.destroy();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "SIGTERM stops the server");
        }
    }

    @Test
    void newKeyPrintsAKeyAndItsHashedLine() {
        Cli r = Cli.run("serve", "--new-key", "tutor,mail");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.outLines();
        assertTrue(lines[0].startsWith("plinth-"));
        assertEquals("sha256:" + ApiKeys.hash(lines[0]) + " tutor,mail", lines[1]);
    }

    @Test
    void sizesAndBadOptions() throws Exception {
        assertEquals(512L << 20, ServeCommand.bytes("--memory", "512m"));
        assertEquals(2L << 30, ServeCommand.bytes("--memory", "2G"));
        assertThrows(IllegalArgumentException.class, () -> ServeCommand.bytes("--memory", "lots"));
        Cli r = Cli.run("serve", "--memory", "lots", "--port", "0", Files.createTempFile(tmp, "m", ".gguf").toString());
        assertEquals(Main.USAGE_ERROR, r.code());
        assertTrue(r.err().contains("--memory must be a positive size"), r.err());
    }
}
