package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.model.DecoderModel;
import dev.plinth.train.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main command end to end on the embedded defaults (a few training steps instead of
 * the recipe's), then again: the rerun rebuilds nothing and still prints samples.
 */
class QuickstartCommandTest {

    @Test
    void buildsEverythingThenReusesIt(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("qs");
        Cli first = Cli.run("quickstart", "-o", out.toString(), "--steps", "3");
        assertEquals(Main.OK, first.code(), first.err());
        for (String f : new String[] {"starter/README.md", "tokenizer.json", "corpus/card.json", "base-run/" + Checkpoint.FILE_NAME,
                "base-run/loss.svg", "base.gguf", "base-hf/config.json", "base-hf/model.safetensors", "quickstart.properties"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " missing; stderr:\n" + first.err());
        }
        for (String prompt : QuickstartCommand.PROMPTS) {
            assertTrue(first.out().contains("--- " + prompt + "\n" + prompt), first.out());
        }
        assertTrue(first.out().contains("base (GGUF):        " + out.resolve("base.gguf")), first.out());
        try (DecoderModel base = DecoderModel.open(out.resolve("base.gguf"))) {
            assertEquals(2048, base.vocabSize());
            assertEquals(128, base.config().hiddenSize());
        }

        FileTime exported = Files.getLastModifiedTime(out.resolve("base.gguf"));
        Cli again = Cli.run("quickstart", "-o", out.toString(), "--steps", "3");
        assertEquals(Main.OK, again.code(), again.err());
        for (String step : new String[] {"1/6 starter corpus", "2/6 tokenizer", "3/6 token shards", "5/6 export"}) {
            assertTrue(again.err().contains(step + ": already built, skipping"), again.err());
        }
        assertTrue(again.err().contains("--resume"), again.err());
        assertFalse(again.err().contains("step 1/3"), "a finished run trains no further: " + again.err());
        assertEquals(exported, Files.getLastModifiedTime(out.resolve("base.gguf")));
        assertEquals(first.out(), again.out(), "the same base and seed give the same samples");
    }
}
