package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.SharedData;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.text.BpeTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportCommandTest {
    private static final String TEXT = "<|im_start|>user\nThe cat sat on the mat.<|im_end|>\n";

    @TempDir
    Path dir;

    /** A random llama (GGUF) and a byte-level BPE tokenizer.json trained here with ChatML specials. */
    private Path[] baseAndTokenizer() throws Exception {
        Path tokenizer = dir.resolve("tokenizer.json");
        BpeTrainer.writeTokenizerJson(new BpeTrainer(300, List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"))
                .train(List.of("The cat sat on the mat.", "A dog ran in the park.", "Hello there, how are you?")),
                tokenizer);
        Path base = dir.resolve("init.gguf");
        DecoderConfig shape = DecoderConfig.builder("llama").hiddenSize(16).layers(1).heads(2).kvHeads(1).ffnSize(32)
                .vocabSize(300).contextLength(32).build();
        RandomModels.builder(shape).tiedEmbeddings(true).seed(5).writeGguf(base);
        return new Path[] {base, tokenizer};
    }

    @Test
    void exportsGgufAndHuggingFaceAndReExportsTheGguf() throws Exception {
        Path[] in = baseAndTokenizer();
        Path out = dir.resolve("base.gguf");
        Path hf = dir.resolve("hf");
        Cli r = Cli.run("export", in[0].toString(), "--tokenizer", in[1].toString(), "--gguf", out.toString(),
                "--hf", hf.toString(), "--type", "f16");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().contains("wrote " + out + " (f16)"), r.err());
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            assertTrue(Files.isRegularFile(hf.resolve(f)), f);
        }
        JsonNode doc = new ObjectMapper().readTree(Cli.run("inspect", "--json", out.toString()).out());
        assertEquals("F16", type(doc, "blk.0.ffn_up.weight"));
        assertEquals("gpt2", doc.get("metadata").get("tokenizer.ggml.model").asText());

        // again from the exported GGUF, its tokenizer taken from the file itself
        Path again = dir.resolve("again.gguf");
        Cli re = Cli.run("-q", "export", out.toString(), "--gguf", again.toString());
        assertEquals(0, re.code(), re.err());
        assertEquals("", re.err());
        JsonNode doc2 = new ObjectMapper().readTree(Cli.run("inspect", "--json", again.toString()).out());
        assertEquals("F32", type(doc2, "blk.0.ffn_up.weight"));
        for (String key : List.of("tokenizer.ggml.eos_token_id", "tokenizer.ggml.bos_token_id", "tokenizer.chat_template",
                "tokenizer.ggml.pre", "llama.block_count", "llama.embedding_length")) {
            assertEquals(doc.get("metadata").get(key), doc2.get("metadata").get(key), key);
        }
        String ids = Cli.run("tokenize", out.toString(), TEXT, "--ids", "--parse-special").out();
        assertEquals(ids, Cli.run("tokenize", again.toString(), TEXT, "--ids", "--parse-special").out());
        assertEquals(ids, Cli.run("tokenize", hf.toString(), TEXT, "--ids", "--parse-special").out());
    }

    /**
     * stories260K (a real base with a SentencePiece vocabulary that adds BOS) re-exported: the GGUF
     * and the Hugging Face folder continue a prompt greedily exactly as the original does.
     */
    @Test
    void storiesReExportedGeneratesTheSameText() throws Exception {
        Path stories = SharedData.require("models/stories260K/stories260K.gguf");
        Path out = dir.resolve("s.gguf");
        Path hf = dir.resolve("s-hf");
        Cli r = Cli.run("-q", "export", stories.toString(), "--gguf", out.toString(), "--hf", hf.toString());
        assertEquals(0, r.code(), r.err());
        String[] run = {"run", "", "Once upon a time", "-n", "24", "--temperature", "0"};
        run[1] = stories.toString();
        String original = Cli.run(run).out();
        assertTrue(original.length() > 40, original);
        run[1] = out.toString();
        assertEquals(original, Cli.run(run).out());
        run[1] = hf.toString();
        assertEquals(original, Cli.run(run).out());
        JsonNode config = new ObjectMapper().readTree(hf.resolve("config.json").toFile());
        assertEquals(1, config.get("bos_token_id").asInt());
        assertEquals(2, config.get("eos_token_id").asInt());
        JsonNode tc = new ObjectMapper().readTree(hf.resolve("tokenizer_config.json").toFile());
        assertTrue(tc.get("add_bos_token").asBoolean());
    }

    @Test
    void needsSomethingToWrite() throws Exception {
        Path[] in = baseAndTokenizer();
        Cli r = Cli.run("export", in[0].toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("give --gguf OUT, --hf DIR or both"), r.err());
    }

    @Test
    void aFolderThatIsNoModelIsNotReplaced() throws Exception {
        Path[] in = baseAndTokenizer();
        Path photos = Files.createDirectories(dir.resolve("photos"));
        Files.writeString(photos.resolve("cat.jpg"), "meow");
        Cli r = Cli.run("export", in[0].toString(), "--tokenizer", in[1].toString(), "--hf", photos.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("photos"), r.err());
        assertEquals("meow", Files.readString(photos.resolve("cat.jpg")));
        assertFalse(Files.exists(photos.resolve("config.json")));
    }

    private static String type(JsonNode doc, String tensor) {
        for (JsonNode t : doc.get("tensors")) {
            if (t.get("name").asText().equals(tensor)) {
                return t.get("dtype").asText();
            }
        }
        return null;
    }
}
