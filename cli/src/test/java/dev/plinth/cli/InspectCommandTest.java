package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.SharedData;
import dev.plinth.io.safetensors.SafetensorsWriter;
import dev.plinth.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {

    private static final String STORIES = "models/stories260K/stories260K.gguf";
    private static final String TINY_LLAMA = "models/llama-2-tiny-random/llama-2-tiny-random.gguf";

    @Test
    void summarisesTheLlama2cConversion() {
        Path file = SharedData.require(STORIES);
        Cli r = Cli.run("inspect", file.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        List<String> lines = Arrays.asList(r.outLines());
        // Facts from the data README: 48 F32 tensors, dim 64, hidden 172, 5 layers, 4 kv heads of 8,
        // vocabulary 512 with a separate output matrix: 2*512*64 + 5*(2*64*64 + 2*32*64 + 3*172*64 + 2*64) + 64.
        assertEquals(List.of(
                "file          " + file,
                "format        GGUF",
                "architecture  llama",
                "parameters    292,800 (292.8K)",
                "tensors       48, 1,171,200 bytes (1.1 MiB)",
                "",
                "metadata (19 keys)"), lines.subList(0, 7));
        assertTrue(lines.contains("  tokenizer.ggml.tokens                   [512 strings: \"<unk>\", \"<s>\", \"</s>\", …]"), r.out());
        assertTrue(lines.contains("  tokenizer.ggml.model                    \"llama\""), r.out());
        assertTrue(lines.contains("  llama.context_length                    128"), r.out());
        assertTrue(lines.contains("  llama.attention.layer_norm_rms_epsilon  1.0E-5"), r.out());
        int table = lines.indexOf("tensors (48)");
        assertEquals("  name                      dtype  shape       bytes", lines.get(table + 1));
        assertEquals("  token_embd.weight         F32    [512, 64]  131072", lines.get(table + 2));
        assertEquals("  output_norm.weight        F32    [64]          256", lines.get(table + 3));
        assertEquals("  blk.0.ffn_down.weight     F32    [64, 172]   44032", lines.get(table + 11));
        assertEquals(table + 2 + 48 + 1, lines.size(), "48 tensor rows then the final newline");
    }

    @Test
    void summarisesLongVocabularyArrays() {
        Path file = SharedData.require(TINY_LLAMA);
        Cli r = Cli.run("inspect", file.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("[32000 strings: \"<unk>\", \"<s>\", \"</s>\", …]\n"), r.out());
        assertTrue(r.out().contains("F16"), r.out());
    }

    @Test
    void jsonHasTheSameFactsWithArraysInFull() throws Exception {
        Path file = SharedData.require(STORIES);
        Cli r = Cli.run("inspect", "--json", file.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertEquals(file.toString(), doc.get("file").asText());
        assertEquals("llama", doc.get("architecture").asText());
        assertEquals(48, doc.get("tensorCount").asInt());
        assertEquals(48, doc.get("tensors").size());
        assertEquals(292_800, doc.get("parameterCount").asLong());
        assertEquals(1_171_200, doc.get("tensorBytes").asLong());
        JsonNode tokens = doc.get("metadata").get("tokenizer.ggml.tokens");
        assertEquals(512, tokens.size());
        assertEquals("▁Once", tokens.get(403).asText());
        assertEquals(4294967295L, doc.get("metadata").get("tokenizer.ggml.padding_token_id").asLong());
        JsonNode first = doc.get("tensors").get(0);
        assertEquals("token_embd.weight", first.get("name").asText());
        assertEquals("F32", first.get("dtype").asText());
        assertEquals("[512,64]", first.get("shape").toString());
        assertEquals(131072, first.get("bytes").asLong());
    }

    @Test
    void huggingFaceFolderShowsConfigAndSafetensors() throws Exception {
        Path folder = SharedData.require("models/fake-gpt2");
        Cli r = Cli.run("inspect", folder.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        List<String> lines = Arrays.asList(r.outLines());
        // config.json: n_embd 2, n_layer 1, vocab 50257, n_positions 1024; 16 F32 tensors, lm_head tied to wte.
        // wte 50257*2 + wpe 1024*2 + attn (2*6+6 + 2*2+2) + mlp (2*8+8 + 8*2+2) + 3 norms (2+2 each) = 102640.
        assertEquals(List.of(
                "file          " + folder,
                "format        Hugging Face folder",
                "architecture  gpt2",
                "parameters    102,640 (102.6K)",
                "tensors       16, 410,560 bytes (400.9 KiB)"), lines.subList(0, 5));
        assertTrue(lines.contains("  architectures                    [\"GPT2LMHeadModel\"]"), r.out());
        assertTrue(lines.contains("  n_inner                          null"), r.out());
        assertTrue(lines.contains("  task_specific_params             {text-generation: {do_sample: true, max_length: 50}}"), r.out());
        assertTrue(lines.contains("  transformer.wte.weight              F32    [50257, 2]  402056"), r.out());

        JsonNode doc = new ObjectMapper().readTree(Cli.run("inspect", "--json", folder.toString()).out());
        assertEquals(16, doc.get("tensorCount").asInt());
        assertEquals(50257, doc.get("metadata").get("vocab_size").asInt());
        assertTrue(doc.get("metadata").get("n_inner").isNull());
    }

    @Test
    void safetensorsFileAlone() {
        Path file = SharedData.require("models/bert-tiniest/model.safetensors");
        Cli r = Cli.run("inspect", file.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = Arrays.asList(r.outLines());
        assertEquals("format        safetensors", lines.get(1));
        assertEquals("architecture  (not stated)", lines.get(2));
        assertEquals("tensors (26)", lines.get(lines.indexOf("metadata (1 key)") + 3));
        assertTrue(r.out().contains("  bert.embeddings.word_embeddings.weight                  F32    [30522, 4]  488352\n"), r.out());
    }

    @Test
    void llama2cCheckpointWithItsTokenizer() {
        Path checkpoint = SharedData.require("models/stories260K/stories260K.bin");
        Path tok = SharedData.require("models/stories260K/tok512.bin");
        Cli r = Cli.run("inspect", checkpoint.toString(), "--tokenizer", tok.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = Arrays.asList(r.outLines());
        // The same weights as the GGUF conversion less its separate output.weight (512*64): 292800 - 32768.
        assertEquals(List.of(
                "file          " + checkpoint,
                "format        llama2.c",
                "architecture  llama",
                "parameters    260,032 (260.0K)",
                "tensors       47, 1,040,128 bytes (1015.8 KiB)"), lines.subList(0, 5));
        assertTrue(lines.contains("  seq_len                     512"), r.out());
        assertTrue(lines.contains("  tokenizer.tokens            512"), r.out());
    }

    @Test
    void tokenizerOptionForAnotherFormatIsAUsageError() {
        Path gguf = SharedData.require(STORIES);
        Path tok = SharedData.require("models/stories260K/tok512.bin");
        Cli r = Cli.run("inspect", gguf.toString(), "--tokenizer", tok.toString());
        assertEquals(2, r.code());
        assertEquals("", r.out());
        assertEquals("plinth: --tokenizer applies to llama2.c checkpoints only (see 'plinth inspect --help')\n", r.err());
    }

    @Test
    void longStringsAreCutInTextAndWholeInJson(@TempDir Path dir) throws Exception {
        String template = "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}";
        Path file = dir.resolve("tiny.safetensors");
        SafetensorsWriter.write(file, List.of(Tensor.ofFloats("w", new float[] {1, 2, 3, 4, 5, 6}, 2, 3)),
                Map.of("chat_template", template));

        Cli text = Cli.run("inspect", file.toString());
        assertEquals(0, text.code(), text.err());
        String cut = "\"{% for message in messages %}{{ message['role'] }}: {{ message['\"… (89 chars)";
        assertTrue(text.out().contains("  safetensors.chat_template  " + cut + "\n"), text.out());
        assertTrue(text.out().endsWith("  name  dtype  shape   bytes\n  w     F32    [2, 3]     24\n"), text.out());

        JsonNode doc = new ObjectMapper().readTree(Cli.run("inspect", "--json", file.toString()).out());
        assertEquals(template, doc.get("metadata").get("safetensors.chat_template").asText());
        assertEquals(6, doc.get("parameterCount").asLong());
    }

    @Test
    void missingFileIsARuntimeErrorOnOneLine() {
        Cli r = Cli.run("inspect", "/nonexistent/model.gguf");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertEquals("plinth: no such file or directory: /nonexistent/model.gguf\n", r.err());
    }

    @Test
    void verboseAddsTheStackTrace() {
        Cli r = Cli.run("inspect", "-v", "/nonexistent/model.gguf");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("java.nio.file.NoSuchFileException: /nonexistent/model.gguf\n\tat "), r.err());
        assertTrue(r.err().endsWith("\nplinth: no such file or directory: /nonexistent/model.gguf\n"), r.err());
    }

    @Test
    void verboseLogsGoToStandardErrorOnlyAndQuietKeepsErrors() {
        Path file = SharedData.require(STORIES);
        Cli plain = Cli.run("inspect", file.toString());
        Cli verbose = Cli.run("--verbose", "inspect", file.toString());
        assertEquals(0, verbose.code());
        assertEquals(plain.out(), verbose.out());
        assertTrue(verbose.err().matches("plinth: read \\S+ in [0-9.]+ ms\n"), verbose.err());

        Cli quiet = Cli.run("-q", "inspect", "/nonexistent/model.gguf");
        assertEquals(1, quiet.code());
        assertEquals("plinth: no such file or directory: /nonexistent/model.gguf\n", quiet.err());
    }

    @Test
    void truncatedFileNamesFileAndOffset(@TempDir Path dir) throws Exception {
        byte[] whole = Files.readAllBytes(SharedData.require(STORIES));
        Path cut = dir.resolve("cut.gguf");
        Files.write(cut, Arrays.copyOf(whole, 5000));
        Cli r = Cli.run("inspect", cut.toString());
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("plinth: " + cut + " at byte "), r.err());
    }

    @Test
    void fileOfAnotherFormatIsARuntimeError(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "not a model at all\n");
        Cli r = Cli.run("inspect", text.toString());
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("plinth: " + text), r.err());
    }
}
