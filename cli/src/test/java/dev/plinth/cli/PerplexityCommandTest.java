package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import dev.plinth.train.corpus.TokenShard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plinth perplexity} on stories260K: a text file and a token shard of the same ids score the same. */
class PerplexityCommandTest {

    @Test
    void textAndShardOfTheSameIdsScoreTheSame(@TempDir Path dir) throws Exception {
        Path model = SharedData.require("models/stories260K/stories260K.gguf");
        String story = Files.readString(SharedData.require("tinystories/tinystories-train-sample.txt")).substring(0, 600);
        Path text = Files.writeString(dir.resolve("story.txt"), story);
        int[] ids;
        try (GgufFile gguf = GgufFile.open(model)) {
            Tokenizer tok = Tokenizers.fromGguf(gguf);
            ids = tok.encode(story, true, false);
            Path shard = dir.resolve("validation-00000.bin");
            int[] document = Arrays.copyOf(ids, ids.length + 1); // a shard's documents end in EOS
            document[ids.length] = tok.eosId();
            TokenShard.write(shard, document, document.length, tok.vocabSize(), tok.eosId(), 1);
        }
        Cli r = Cli.run("perplexity", model.toString(), text.toString(), dir.resolve("validation-00000.bin").toString(),
                "--ctx", "64", "--json", "--max-tokens", String.valueOf(ids.length));
        assertEquals(0, r.code(), r.err());
        ObjectMapper json = new ObjectMapper();
        var rows = json.readerFor(JsonNode.class).readValues(r.out()).readAll();
        assertEquals(2, rows.size(), r.out());
        JsonNode fromText = (JsonNode) rows.get(0);
        JsonNode fromShard = (JsonNode) rows.get(1);
        long windows = (ids.length + 63) / 64;
        assertEquals(ids.length - windows, fromText.get("tokens").asLong());
        assertEquals(fromText.get("nll").asDouble(), fromShard.get("nll").asDouble(), 1e-6);
        double ppl = fromText.get("perplexity").asDouble();
        assertTrue(ppl > 1 && ppl < 50, "stories260K on TinyStories text should be confident, ppl " + ppl);
    }

    @Test
    void tableByDefaultAndErrorsForBadInput(@TempDir Path dir) throws Exception {
        Path model = SharedData.require("models/stories260K/stories260K.gguf");
        Path text = Files.writeString(dir.resolve("t.txt"), "Once upon a time there was a little girl named Lily.");
        Cli ok = Cli.run("perplexity", model.toString(), text.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.outLines()[2].matches("\\| .*t\\.txt \\| \\d+ \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\|"), ok.out());

        Cli missing = Cli.run("perplexity", model.toString(), dir.resolve("absent.txt").toString());
        assertEquals(Main.RUNTIME_ERROR, missing.code());
        assertTrue(missing.err().contains("absent.txt"), missing.err());

        Cli badWindow = Cli.run("perplexity", model.toString(), text.toString(), "--ctx", "1");
        assertEquals(Main.USAGE_ERROR, badWindow.code(), badWindow.err());
    }
}
