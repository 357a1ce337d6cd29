package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plinth eval} on stories260K: built-in tasks, a probe file, a text folder, JSON, and its errors. */
class EvalCommandTest {

    @TempDir
    Path dir;

    private static String model() {
        return SharedData.require("models/stories260K/stories260K.gguf").toString();
    }

    @Test
    void builtInTasksProbesAndPerplexityInOneRun() throws Exception {
        Path probes = Files.writeString(dir.resolve("canaries.jsonl"), """
                {"name": "lily", "prompt": "Once upon a time, there was a little girl named", "expected": "Lily"}
                {"name": "no-dragons", "prompt": "Once upon a time", "forbidden": "dragon"}
                {"name": "sentence", "prompt": "Once upon a time", "regex": "^,\\\\s+there was"}
                {"name": "tom", "prompt": "Once upon a time, there was a little girl named", "expected": "Tom"}
                """);
        Path text = Files.createDirectories(dir.resolve("stories"));
        Files.writeString(text.resolve("one.txt"), "Once upon a time there was a little girl named Lily. She loved to play.");
        Files.writeString(text.resolve("README.md"), "not a document");
        Path json = dir.resolve("out.json");
        Cli r = Cli.run("eval", model(), "--tasks", "arc-easy,crows-pairs", "--tasks", probes.toString(), "--tasks",
                text.toString(), "--limit", "8", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.outLines();
        assertEquals("| task | items | metric | value | stderr |", lines[0]);
        assertTrue(r.out().contains("| arc-easy | 8 | acc | "), r.out());
        assertTrue(r.out().contains("| crows-pairs | 8 | pct_stereotype | "), r.out());
        assertTrue(r.out().contains("| crows-pairs [race-color] |  | pct_stereotype | "), r.out());
        assertTrue(r.out().contains("| canaries | 4 | pass_rate | 0.7500 | "), r.out());
        assertTrue(r.out().contains("| stories | 1 | bits_per_byte | "), r.out());
        assertTrue(r.err().contains("arc-easy: 8 items, "), r.err());
        assertTrue(r.err().contains("tokens/s)"), r.err());

        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        JsonNode canaries = doc.get("results").get(2);
        assertEquals("canaries", canaries.get("task").asText());
        JsonNode tom = canaries.get("outcomes").get(3);
        assertEquals(false, tom.get("passed").asBoolean());
        assertTrue(tom.get("output").asText().startsWith(" Lily"), tom.toString());
        assertEquals("tom: expected \"Tom\"", tom.get("label").asText());
        assertTrue(doc.get("results").get(0).get("digest").asText().startsWith("sha256:"));
    }

    @Test
    void anUnknownTaskIsAUsageErrorAndAMalformedDefinitionNamesItsLine() throws Exception {
        Cli unknown = Cli.run("eval", model(), "--tasks", "arc-medium");
        assertEquals(Main.USAGE_ERROR, unknown.code(), unknown.err());
        assertTrue(unknown.err().contains("no task 'arc-medium'"), unknown.err());

        Path def = Files.writeString(dir.resolve("bad.task"), "task bad\ndata x.jsonl\ncontext {q\nchoices {c}\ngold {g}\n");
        Cli bad = Cli.run("eval", model(), "--tasks", def.toString());
        assertEquals(Main.RUNTIME_ERROR, bad.code(), bad.err());
        assertTrue(bad.err().contains("bad.task:3: column 1: { is never closed"), bad.err());

        Files.writeString(dir.resolve("x.jsonl"), "{\"q\": \"a\", \"c\": [\"x\", \"y\"], \"g\": 0}\n{\"q\": \"b\"\n");
        Files.writeString(def, "task bad\ndata x.jsonl\ncontext {q}\nchoices {c}\ngold {g}\n");
        Cli row = Cli.run("eval", model(), "--tasks", def.toString());
        assertEquals(Main.RUNTIME_ERROR, row.code(), row.err());
        assertTrue(row.err().contains("x.jsonl:2: not JSON"), row.err());
    }
}
