package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.train.TinyChatBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plinth finetune} and {@code plinth classify} on a tiny base with a trained byte-level BPE
 * vocabulary and a ChatML template: outputs and where they are printed, the adapter running with
 * {@code run --adapter}, malformed rows (file and line; --skip-bad), resume, full fine-tuning, and a
 * classifier with its metrics as text and JSON.
 */
class FinetuneCommandTest {
    @TempDir
    static Path shared;

    private static Path base;

    @TempDir
    Path tmp;

    @BeforeAll
    static void tinyBase() throws IOException {
        TinyChatBase.write(shared);
        base = shared.resolve("base.gguf");
    }

    private Path chat(int rows, String bad) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            lines.add("{\"messages\": [{\"role\": \"user\", \"content\": \"where is the cat?\"}, {\"role\": \"assistant\", "
                    + "\"content\": \"the cat sat on the mat.\"}]}");
            if (i == 2 && bad != null) {
                lines.add(bad);
            }
        }
        Path f = tmp.resolve("chat.jsonl");
        Files.write(f, lines);
        return f;
    }

    /** {@code more}, then the tiny run's settings that {@code more} does not give. */
    private static String[] args(String... more) {
        List<String> a = new ArrayList<>(List.of(more));
        String[] defaults = {"--rank", "4", "--alpha", "8", "--batch", "4", "--lr", "0.02", "--eval-every", "5"};
        for (int i = 0; i < defaults.length; i += 2) {
            if (!a.contains(defaults[i])) {
                a.addAll(List.of(defaults[i], defaults[i + 1]));
            }
        }
        a.add("--plain");
        return a.toArray(String[]::new);
    }

    @Test
    void fineTunesPrintsWhereTheAdapterIsAndRunsWithIt() throws Exception {
        Path out = tmp.resolve("run");
        Cli r = Cli.run(args("finetune", base.toString(), chat(16, null).toString(), "--out", out.toString(), "--steps", "10"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("fine-tuning LoRA r=4"), r.err());
        assertTrue(r.err().contains("chat JSONL: 16 rows (2 for validation), 14 training examples"), r.err());
        assertTrue(r.err().contains("step 10/10"), r.err());
        assertTrue(r.out().contains("adapter: " + out.resolve("adapter")), r.out());
        assertTrue(r.out().contains("adapter gguf: " + out.resolve("adapter.gguf")), r.out());
        assertTrue(r.out().contains("checkpoint: " + out.resolve("checkpoint.plnt")), r.out());
        for (String adapter : new String[] {"adapter", "adapter.gguf"}) {
            Cli run = Cli.run("run", base.toString(), "<|im_start|>user\nwhere is the cat?<|im_end|>\n<|im_start|>assistant\n",
                    "--adapter", out.resolve(adapter).toString(), "--temperature", "0", "-n", "6", "-q");
            assertEquals(0, run.code(), run.err());
        }
        Cli again = Cli.run(args("finetune", base.toString(), chat(16, null).toString(), "--out", out.toString(),
                "--resume", "--steps", "12"));
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("resuming at step 10"), again.err());
        assertEquals(13, Files.readAllLines(out.resolve("log.csv")).size());
    }

    @Test
    void aMalformedRowNamesFileAndLineUnlessSkipped() throws Exception {
        Path data = chat(6, "{\"messages\": [{\"role\": \"user\", \"content\": \"no answer\"}]}");
        Cli r = Cli.run(args("finetune", base.toString(), data.toString(), "--out", tmp.resolve("a").toString(), "--steps", "1"));
        assertEquals(1, r.code());
        assertTrue(r.err().contains(data + ":4: no assistant turn to learn from"), r.err());
        Cli skipped = Cli.run(args("finetune", base.toString(), data.toString(), "--out", tmp.resolve("b").toString(),
                "--steps", "1", "--skip-bad"));
        assertEquals(0, skipped.code(), skipped.err());
        assertTrue(skipped.err().contains("skipped 1 malformed row (--skip-bad), the first: "), skipped.err());
        Cli wrongTask = Cli.run(args("finetune", base.toString(), data.toString(), "--out", tmp.resolve("c").toString(),
                "--task", "classify"));
        assertEquals(1, wrongTask.code());
        assertTrue(wrongTask.err().contains("cannot train --task classify"), wrongTask.err());
    }

    @Test
    void fullFineTuningWritesAModel() throws Exception {
        Path out = tmp.resolve("full");
        Cli r = Cli.run(args("finetune", base.toString(), chat(8, null).toString(), "--out", out.toString(), "--method", "full",
                "--steps", "2", "--lr", "0.001"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("model: " + out.resolve("model.gguf")), r.out());
        assertFalse(r.out().contains("adapter:"), r.out());
        assertEquals(0, Cli.run("run", out.resolve("model.gguf").toString(), "the cat", "-n", "3", "-q").code());
    }

    @Test
    void classifiesTextsAndScoresLabelledFiles() throws Exception {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String ham = i % 4 == 1 ? "the cat sat on the mat " : "the dog ran to the park ";
            rows.add(i % 2 == 0 ? "{\"text\": \"win cash now, spam offer " + i + "\", \"label\": \"spam\"}"
                    : "{\"text\": \"" + ham + i + "\", \"label\": \"ham\"}");
        }
        Path data = tmp.resolve("sms.jsonl");
        Files.write(data, rows);
        Path out = tmp.resolve("classifier");
        Cli r = Cli.run(args("finetune", base.toString(), data.toString(), "--out", out.toString(), "--steps", "25"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("task classify"), r.err());
        assertTrue(r.err().contains("labels ham, spam"), r.err());
        Path adapter = out.resolve("adapter");
        Cli one = Cli.run("classify", base.toString(), "--adapter", adapter.toString(), "win cash now, spam offer");
        assertEquals(0, one.code(), one.err());
        assertTrue(one.out().startsWith("spam\tham="), one.out());
        Cli asJson = Cli.run("classify", base.toString(), "--adapter", adapter.toString(), "the cat sat on the mat", "--json");
        JsonNode j = new ObjectMapper().readTree(asJson.out());
        assertEquals("ham", j.get("label").asText());
        assertEquals(1.0, j.get("probabilities").get("ham").asDouble() + j.get("probabilities").get("spam").asDouble(), 1e-5);
        Path test = tmp.resolve("test.jsonl");
        Files.write(test, List.of("{\"text\": \"spam offer, win cash\", \"label\": \"spam\"}",
                "{\"text\": \"the dog ran to the park\", \"label\": \"ham\"}", "{\"text\": \"the cat sat\", \"label\": \"ham\"}"));
        Cli scored = Cli.run("classify", base.toString(), "--adapter", adapter.toString(), "--file", test.toString());
        assertEquals(0, scored.code(), scored.err());
        assertTrue(scored.out().contains("accuracy 1.0000 (3/3)"), scored.out());
        assertTrue(scored.out().contains("macro-F1 1.0000"), scored.out());
        assertTrue(scored.out().contains("confusion matrix"), scored.out());
        Cli scoredJson = Cli.run("classify", base.toString(), "--adapter", adapter.toString(), "--file", test.toString(), "--json");
        JsonNode doc = new ObjectMapper().readTree(scoredJson.out());
        assertEquals(3, doc.get("predictions").size());
        assertEquals(1.0, doc.get("metrics").get("accuracy").asDouble());
        assertEquals(2, doc.get("metrics").get("confusion").get(0).get(0).asInt());
        Cli noHead = Cli.run("classify", base.toString(), "--adapter", tmp.resolve("missing").toString(), "x");
        assertEquals(1, noHead.code());
    }
}
