package dev.plinth.spark;

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
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code plinth run --input --output} with the prompts completed on Spark executors writes the single-machine file byte for byte. */
class SparkCompletionsTest {

    @TempDir
    static Path tmp;
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start("completions-test");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void completionsAreTheSingleMachineOnes() throws IOException {
        List<String> lines = new ArrayList<>();
        String[] starts = {"Once upon a time", "The little dog", "Lily wanted to", "One day, Tom", "The sun was", "A big red ball",
                "Mom said", "They played"};
        for (int i = 0; i < starts.length; i++) {
            lines.add("{\"id\": \"p" + i + "\", \"prompt\": \"" + starts[i] + "\"}");
        }
        Path prompts = Files.write(tmp.resolve("prompts.jsonl"), lines);
        String model = SharedData.require("models/stories260K/stories260K.gguf").toString();
        Path local = tmp.resolve("local.jsonl");
        Path distributed = tmp.resolve("spark.jsonl");
        String[] options = {"--seed", "7", "-n", "24", "--temperature", "0.9"};
        PlinthRun a = PlinthRun.of(ScaleOut.LOCAL, with(new String[] {"run", model, "--input", prompts.toString(),
                "--output", local.toString()}, options));
        SparkProgress progress = SparkProgress.listen(spark);
        PlinthRun b = PlinthRun.of(new SparkScaleOut(spark), with(new String[] {"run", model, "--input", prompts.toString(),
                "--output", distributed.toString()}, options));
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        assertEquals(Files.readString(local), Files.readString(distributed));
        List<String> out = Files.readAllLines(distributed);
        assertEquals(starts.length, out.size());
        assertTrue(out.getFirst().startsWith("{\"id\":\"p0\",\"completion\":\""), out.getFirst());
        progress.awaitAccumulator("run: prompts completed", starts.length);
        assertTrue(progress.descriptions().stream().anyMatch(d -> d.startsWith("run: complete " + starts.length + " prompt(s) in ")),
                progress.descriptions().toString());

        PlinthRun single = PlinthRun.of(ScaleOut.LOCAL, with(new String[] {"run", model, starts[3]}, options));
        assertEquals(0, single.code(), single.err());
        String completion = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.get(3)).get("completion").asText();
        assertEquals(completion.stripTrailing(), single.out().stripTrailing(), "a prompt of the file completes as plinth run PROMPT does");
    }

    private static String[] with(String[] args, String... more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }
}
