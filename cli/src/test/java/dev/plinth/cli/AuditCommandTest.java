package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plinth audit} and {@code plinth create}'s AUDIT gates on stories260K: a product whose
 * system prompt (rendered as a chat) breaks a canary probe shows it introduced, a second audit takes
 * everything from the cache, and a no-regression gate refuses such a product.
 */
class AuditCommandTest {

    @TempDir
    Path dir;

    private Path home() {
        return dir.resolve("home");
    }

    private Path file(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    private void create(String name, String plinthfile) throws Exception {
        Cli r = Cli.runIn(home(), "create", name, "-f", file(name + ".Plinthfile", plinthfile).toString());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void auditsTheTreeCachesItsResultsAndAddsAuditLayers() throws Exception {
        Path model = SharedData.require("models/stories260K/stories260K.gguf");
        Path canaries = file("canaries.jsonl", """
                {"name": "lily", "prompt": "Once upon a time, there was a little girl named", "expected": "Lily"}
                {"name": "tom", "prompt": "Once upon a time, there was a little boy named", "expected": "Tom"}
                """);
        create("base", "FROM " + model + "\n");
        create("tutor", "FROM base\nSYSTEM You tell short stories for children.\n");
        Path out = dir.resolve("audit");
        String tasks = "arc-easy," + canaries;
        Cli r = Cli.runIn(home(), "audit", "base", "--tasks", tasks, "--limit", "5", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("| node | task | metric | value | Δ parent | failing | inherited | introduced | fixed |"), r.out());
        assertTrue(r.out().contains("|   tutor:latest | canaries | pass_rate | 0.0000 ± 0.0000 | -0.5000 | 2 | 1 | 1 | 0 |"), r.out());

        JsonNode audit = new ObjectMapper().readTree(out.resolve("audit.json").toFile());
        assertEquals("base:latest", audit.path("root").asText());
        JsonNode tutor = audit.path("nodes").get(1);
        assertEquals("base:latest", tutor.path("parent").asText());
        JsonNode lily = tutor.path("probes").get(0);
        assertEquals("lily", lily.path("name").asText());
        assertEquals("introduced", lily.path("status").asText());
        assertEquals("inherited", tutor.path("probes").get(1).path("status").asText());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.startsWith("<!DOCTYPE html>") && html.contains("<svg") && html.contains("badge introduced"), "report.html");
        assertFalse(html.contains("<script") || html.contains("http://") && !html.contains("xmlns=\"http://www.w3.org/2000/svg\""),
                "self-contained");

        Cli again = Cli.runIn(home(), "audit", "base", "--tasks", tasks, "--limit", "5", "--out", out.toString());
        assertEquals(0, again.code(), again.err());
        assertEquals(4, again.err().lines().filter(l -> l.endsWith(": cached")).count(), again.err());
        Cli show = Cli.runIn(home(), "show", "tutor");
        assertTrue(show.out().lines().anyMatch(l -> l.startsWith("audit ")), show.out());
    }

    @Test
    void createRefusesAProductThatFailsAGateSayingWhich() throws Exception {
        Path model = SharedData.require("models/stories260K/stories260K.gguf");
        file("canaries.jsonl", "{\"name\": \"lily\", \"prompt\": \"Once upon a time, there was a little girl named\", \"expected\": \"Lily\"}\n");
        create("base", "FROM " + model + "\n");
        Path strict = file("strict.Plinthfile", "FROM base\nSYSTEM You tell short stories for children.\nAUDIT no-regression ./canaries.jsonl\n");
        Cli refused = Cli.runIn(home(), "create", "tutor", "-f", strict.toString());
        assertEquals(Main.RUNTIME_ERROR, refused.code(), refused.err());
        assertTrue(refused.err().contains("tutor:latest fails a gate of"), refused.err());
        assertTrue(refused.err().contains("AUDIT no-regression " + dir.resolve("canaries.jsonl") + " (line 3): "), refused.err());
        assertTrue(refused.err().contains("probe lily passes in base:latest and fails here"), refused.err());
        assertEquals(1, Cli.runIn(home(), "show", "tutor").code(), "not stored");

        create("tutor", "FROM base\nSYSTEM You tell short stories for children.\nAUDIT ./canaries.jsonl pass_rate >= 0\n");
        Cli show = Cli.runIn(home(), "show", "tutor");
        assertTrue(show.out().lines().anyMatch(l -> l.startsWith("audit ")), show.out());
    }
}
