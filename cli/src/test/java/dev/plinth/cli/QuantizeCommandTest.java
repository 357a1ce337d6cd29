package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantizeCommandTest {
    private static final String STORIES = "models/stories260K";

    @TempDir
    Path dir;

    /**
     * stories260K to q8_0: 2-D matrices become Q8_0 except ffn_down, whose rows of 172 are not
     * whole 32-blocks (F16 fallback); norms stay F32; the file still inspects and tokenizes.
     */
    @Test
    void storiesToQ8RoundTrip() throws Exception {
        Path in = SharedData.require(STORIES + "/stories260K.gguf");
        Path out = dir.resolve("q8.gguf");
        Cli q = Cli.run("quantize", in.toString(), out.toString(), "--type", "q8_0");
        assertEquals(0, q.code(), q.err());
        assertEquals("", q.out());
        assertTrue(q.err().contains("[  48/  48]"), q.err());
        assertTrue(q.err().contains("blk.0.attn_q.weight"), q.err());

        JsonNode doc = new ObjectMapper().readTree(Cli.run("inspect", "--json", out.toString()).out());
        Map<String, String> types = new HashMap<>();
        doc.get("tensors").forEach(t -> types.put(t.get("name").asText(), t.get("dtype").asText()));
        assertEquals(48, types.size());
        assertEquals("Q8_0", types.get("token_embd.weight"));
        assertEquals("Q8_0", types.get("output.weight"));
        assertEquals("Q8_0", types.get("blk.4.attn_v.weight"));
        assertEquals("Q8_0", types.get("blk.0.ffn_up.weight"));
        assertEquals("F16", types.get("blk.0.ffn_down.weight"));
        assertEquals("F32", types.get("blk.0.attn_norm.weight"));
        assertEquals("F32", types.get("output_norm.weight"));
        assertEquals(7, doc.get("metadata").get("general.file_type").asInt());
        assertEquals(2, doc.get("metadata").get("general.quantization_version").asInt());

        Cli tok = Cli.run("tokenize", out.toString(), "Once upon a time", "--ids");
        assertEquals(0, tok.code(), tok.err());
        assertEquals("1 403 407 261 378\n", tok.out());
    }

    @Test
    void llama2cNeedsItsTokenizerAndConvertsWithIt() throws Exception {
        Path models = SharedData.require(STORIES);
        Path out = dir.resolve("s.gguf");
        Cli missing = Cli.run("quantize", models.resolve("stories260K.bin").toString(), out.toString(), "--type", "f32");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("tokenizer"), missing.err());
        assertFalse(Files.exists(out));
        Cli ok = Cli.run("-q", "quantize", models.resolve("stories260K.bin").toString(), out.toString(), "--type", "f16",
                "--tokenizer", models.resolve("tok512.bin").toString());
        assertEquals(0, ok.code(), ok.err());
        assertEquals("", ok.err());
        Cli tok = Cli.run("tokenize", out.toString(), "Once upon a time", "--ids");
        assertEquals("1 403 407 261 378\n", tok.out());
    }

    @Test
    void unknownTypeIsAUsageError() {
        Cli r = Cli.run("quantize", "a.gguf", dir.resolve("b.gguf").toString(), "--type", "q3_k_xl");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown quantization type 'q3_k_xl'; expected one of f32, f16"), r.err());
    }

    @Test
    void devRandomModelRejectsUnknownPresetsAndIsHidden() {
        Cli r = Cli.run("dev", "random-model", "--preset", "gpt-5", dir.resolve("x.gguf").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown preset 'gpt-5'"), r.err());
        assertFalse(Cli.run("--help").out().contains("dev"), "dev is hidden from the main help");
    }

    @Test
    void hostileInputsFailWithOneLineAndNoOutputFile() throws Exception {
        Path junk = dir.resolve("junk.gguf");
        Files.write(junk, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, 127});
        Path out = dir.resolve("out.gguf");
        Cli r = Cli.run("quantize", junk.toString(), out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("plinth: ") && r.err().contains("junk.gguf"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(out));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary or scratch file is left behind");
        }
        Cli missing = Cli.run("quantize", dir.resolve("absent.gguf").toString(), out.toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("no such file"), missing.err());
        Cli same = Cli.run("quantize", junk.toString(), junk.toString());
        assertEquals(2, same.code());
    }
}
