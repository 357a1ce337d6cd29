package dev.plinth.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.SharedData;
import dev.plinth.cli.ScaleOut;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code plinth eval} with its items scored on Spark executors prints the same table and the same item
 * outcomes as on one machine. Raw log-likelihoods agree to float rounding, not bit for bit: the scorer
 * packs several requests into each pass, and a range of items packs differently from the whole task.
 */
class SparkEvalTest {

    @TempDir
    static Path tmp;
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start("eval-test");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void sameNumbersAsOneMachine() throws IOException {
        Path probes = Files.writeString(tmp.resolve("canaries.jsonl"), """
                {"name": "lily", "prompt": "Once upon a time, there was a little girl named", "expected": "Lily"}
                {"name": "no-dragons", "prompt": "Once upon a time", "forbidden": "dragon"}
                {"name": "tom", "prompt": "Once upon a time, there was a little girl named", "expected": "Tom"}
                """);
        Path stories = Files.createDirectories(tmp.resolve("stories"));
        Files.writeString(stories.resolve("one.txt"), "Once upon a time there was a little girl named Lily. She loved to play.");
        Files.writeString(stories.resolve("two.txt"), "The cat sat in the sun. It was warm and happy all day long.");
        String model = SharedData.require("models/stories260K/stories260K.gguf").toString();
        String[] args = {"eval", model, "--tasks", "arc-easy,crows-pairs", "--tasks", probes.toString(), "--tasks",
                stories.toString(), "--limit", "24", "--data", SharedData.root().resolve("data").toString()};
        PlinthRun local = PlinthRun.of(ScaleOut.LOCAL, with(args, "--json", tmp.resolve("local.json").toString()));
        SparkProgress progress = SparkProgress.listen(spark);
        PlinthRun distributed = PlinthRun.of(new SparkScaleOut(spark), with(args, "--json", tmp.resolve("spark.json").toString()));
        assertEquals(0, local.code(), local.err());
        assertEquals(0, distributed.code(), distributed.err());
        assertEquals(local.out(), distributed.out());
        assertSame("", results(tmp.resolve("local.json")), results(tmp.resolve("spark.json")));
        progress.awaitAccumulator("eval arc-easy: items scored", 24);
        assertTrue(progress.descriptions().stream().anyMatch(d -> d.startsWith("eval arc-easy: score 24 item(s) in ")),
                progress.descriptions().toString());
    }

    /** The results without their timings. */
    private static JsonNode results(Path json) throws IOException {
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        for (JsonNode r : doc.get("results")) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) r).remove("seconds");
        }
        return doc;
    }

    /** Equal trees, numbers equal to a relative 1e-6. */
    private static void assertSame(String at, JsonNode expected, JsonNode actual) {
        if (expected.isFloatingPointNumber()) {
            assertEquals(expected.asDouble(), actual.asDouble(), 1e-6 * Math.max(1, Math.abs(expected.asDouble())), at);
            return;
        }
        if (!expected.isContainerNode()) {
            assertEquals(expected, actual, at);
            return;
        }
        assertEquals(expected.size(), actual.size(), at);
        if (expected.isArray()) {
            for (int i = 0; i < expected.size(); i++) {
                assertSame(at + "[" + i + "]", expected.get(i), actual.get(i));
            }
        } else {
            expected.properties().forEach(e -> assertSame(at + "." + e.getKey(), e.getValue(), actual.get(e.getKey())));
        }
    }

    private static String[] with(String[] args, String... more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }
}
