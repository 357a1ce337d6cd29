package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code plinth run} in-process on Karpathy's real stories260K, against llama2.c run.c's recorded output. */
class RunCommandTest {

    private static Path dir() {
        return SharedData.require("models/stories260K");
    }

    /** run.c's stdout for {@code -t 0 -n 64 -i "Once upon a time"}: the prompt, 60 tokens, and a newline. */
    private static String runC() throws Exception {
        return Files.readString(dir().resolve("expected-run-c-greedy-64.txt"), StandardCharsets.UTF_8);
    }

    @Test
    void greedyCompletionEqualsRunC() throws Exception {
        Cli r = Cli.run("run", dir().resolve("stories260K.gguf").toString(), "Once upon a time",
                "--temperature", "0", "--max-tokens", "60");
        assertEquals(0, r.code(), r.err());
        assertEquals(runC().substring("Once upon a time".length()), r.out());
        assertTrue(r.err().contains("prefill 5 tokens") && r.err().contains("decode 60 tokens")
                && r.err().contains("finish: length"), r.err());
    }

    @Test
    void promptsFileToCompletionsFileAsRunCompletesEach(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path prompts = Files.writeString(tmp.resolve("prompts.jsonl"),
                "{\"id\": \"a\", \"prompt\": \"Once upon a time\"}\n\n{\"prompt\": \"The cat\"}\n");
        Path out = tmp.resolve("out.jsonl");
        String model = dir().resolve("stories260K.gguf").toString();
        Cli r = Cli.run("run", model, "--input", prompts.toString(), "--output", out.toString(), "--temperature", "0", "-n", "60");
        assertEquals(0, r.code(), r.err());
        java.util.List<String> lines = Files.readAllLines(out);
        assertEquals(2, lines.size());
        com.fasterxml.jackson.databind.JsonNode first = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines.get(0));
        assertEquals("a", first.get("id").asText());
        assertEquals(runC().substring("Once upon a time".length()).stripTrailing(), first.get("completion").asText().stripTrailing());
        assertEquals("length", first.get("finish").asText());
        assertEquals(60, first.get("tokens").asInt());
        assertTrue(lines.get(1).startsWith("{\"id\":\"3\","), "an id-less prompt is named by its line: " + lines.get(1));
        assertTrue(r.err().contains("2 prompts, 120 tokens generated"), r.err());

        Files.writeString(prompts, "{\"prompt\": \"ok\"}\n{\"text\": \"no prompt\"}\n");
        Cli bad = Cli.run("run", model, "--input", prompts.toString(), "--output", out.toString());
        assertEquals(Main.RUNTIME_ERROR, bad.code());
        assertTrue(bad.err().contains("prompts.jsonl:2: no \"prompt\" string"), bad.err());
        assertEquals(Main.USAGE_ERROR, Cli.run("run", model, "--input", prompts.toString()).code());
    }

    @Test
    void llama2cCheckpointWithTokenizerEchoAndPromptFromStandardInput() throws Exception {
        Cli r = Cli.runWithInput("Once upon a time", "run", dir().resolve("stories260K.bin").toString(),
                "--tokenizer", dir().resolve("tok512.bin").toString(), "--temperature", "0", "-n", "60", "--echo", "-q");
        assertEquals(0, r.code(), r.err());
        assertEquals(runC(), r.out());
        assertEquals("", r.err(), "-q keeps standard error quiet");
    }

    @Test
    void stopStringCutsTheOutput() throws Exception {
        Cli r = Cli.run("run", dir().resolve("stories260K.gguf").toString(), "Once upon a time",
                "--temperature", "0", "--stop", "park", "-q");
        assertEquals(0, r.code(), r.err());
        assertEquals(", there was a little girl named Lily. She loved to play outside in the \n", r.out());
    }

    @Test
    void sameSeedSameTextAcrossRuns() {
        String model = dir().resolve("stories260K.gguf").toString();
        Cli a = Cli.run("run", model, "Once upon a time", "--seed", "7", "-n", "40", "--temperature", "1.1", "-q");
        Cli b = Cli.run("run", model, "Once upon a time", "--seed", "7", "-n", "40", "--temperature", "1.1", "-q");
        Cli c = Cli.run("run", model, "Once upon a time", "--seed", "8", "-n", "40", "--temperature", "1.1", "-q");
        assertEquals(0, a.code(), a.err());
        assertEquals(a.out(), b.out());
        assertTrue(!a.out().equals(c.out()), "another seed gives another text");
    }

    @Test
    void promptOverTheContextIsOneLineWithExitCode1() {
        Cli r = Cli.run("run", dir().resolve("stories260K.gguf").toString(),
                "Once upon a time, there was a little girl named Lily.", "--ctx", "4");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().matches("plinth: the prompt has \\d+ tokens but the context holds 4; .*\n"), r.err());
    }

    @Test
    void badSamplingValuesAreUsageErrors() {
        Cli r = Cli.run("run", dir().resolve("stories260K.gguf").toString(), "x", "--top-p", "1.5");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("plinth: --top-p and --min-p must lie in [0, 1]"), r.err());
        Cli huge = Cli.run("run", dir().resolve("stories260K.gguf").toString(), "x", "--ctx", "100000000");
        assertEquals(2, huge.code());
        assertTrue(huge.err().startsWith("plinth: a KV cache for 100000000 positions needs"), huge.err());
        Cli missing = Cli.run("run", "/nonexistent/model.gguf", "x");
        assertEquals(1, missing.code());
        assertEquals("plinth: no such file or directory: /nonexistent/model.gguf\n", missing.err());
    }
}
