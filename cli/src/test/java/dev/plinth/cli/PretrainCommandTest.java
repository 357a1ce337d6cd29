package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.train.Checkpoint;
import dev.plinth.train.corpus.DatasetCard;
import dev.plinth.train.corpus.NearDuplicates;
import dev.plinth.train.corpus.TokenShard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainCommandTest {

    @TempDir
    Path tmp;

    /** A corpus of random documents over 50 ids (eos 49): one train and one validation shard. */
    private Path corpus() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("corpus"));
        SplittableRandom rnd = new SplittableRandom(2);
        for (String name : List.of("train-00000.bin", "validation-00000.bin")) {
            int[] ids = new int[2000];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i % 50 == 49 ? 49 : rnd.nextInt(49);
            }
            TokenShard.write(dir.resolve(name), ids, ids.length, 50, 49, 40);
        }
        new ObjectMapper().writeValue(dir.resolve("card.json").toFile(), new DatasetCard("tok.json", 50, 49, 2, 0.1, 1,
                NearDuplicates.Parameters.DEFAULT, List.of(), 40, 2000, 40, 2000, List.of("train-00000.bin"),
                List.of("validation-00000.bin")));
        return dir;
    }

    private static final String[] TINY = {"--hidden", "16", "--layers", "1", "--heads", "2", "--kv-heads", "1", "--ffn", "32",
            "--batch", "2", "--warmup", "1", "--eval-every", "2", "--eval-batches", "1"};

    private static String[] args(Path corpus, Path out, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("pretrain", "--corpus", corpus.toString(), "--out", out.toString()));
        a.addAll(List.of(TINY));
        a.addAll(List.of(more));
        if (!a.contains("--context")) {
            a.addAll(List.of("--context", "8"));
        }
        return a.toArray(String[]::new);
    }

    @Test
    void trainsPrintsWhereTheFilesAreAndResumes() throws Exception {
        Path corpus = corpus();
        Path out = tmp.resolve("run");
        Path recipe = tmp.resolve("r.properties");
        Files.writeString(recipe, "# tiny\nsteps = 3\nlr = 0.01\n");
        Cli r = Cli.run(args(corpus, out, "--config", recipe.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("checkpoint: " + out.resolve(Checkpoint.FILE_NAME)), r.out());
        assertTrue(r.out().contains("log: " + out.resolve("log.csv")), r.out());
        assertTrue(r.out().contains("plot: " + out.resolve("loss.svg")), r.out());
        assertTrue(r.err().contains("step 3/3"), r.err());
        assertTrue(r.err().contains("finished at step 3 of 3"), r.err());
        assertTrue(r.err().contains("peak heap"), r.err());
        assertEquals(4, Files.readAllLines(out.resolve("log.csv")).size());

        Cli again = Cli.run(args(corpus, out, "--config", recipe.toString()));
        assertEquals(1, again.code());
        assertTrue(again.err().contains("--resume"), again.err());

        Cli resumed = Cli.run(args(corpus, out, "--resume", "--steps", "5", "-q"));
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals("", resumed.err());
        assertEquals(6, Files.readAllLines(out.resolve("log.csv")).size());

        Cli changed = Cli.run("pretrain", "--corpus", corpus.toString(), "--out", out.toString(), "--resume", "--hidden", "32");
        assertEquals(1, changed.code());
        assertTrue(changed.err().contains("hidden"), changed.err());
    }

    @Test
    void badInputsGiveOneLineAndTheRightExitCode() throws Exception {
        Path corpus = corpus();
        Cli missing = Cli.run("pretrain", "--corpus", tmp.resolve("nope").toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("card.json"), missing.err());
        Path recipe = tmp.resolve("bad.properties");
        Files.writeString(recipe, "hiden = 3\n");
        Cli bad = Cli.run("pretrain", "--corpus", corpus.toString(), "--config", recipe.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("unknown key 'hiden'"), bad.err());
        Cli usage = Cli.run("pretrain", "--corpus", corpus.toString(), "--steps", "many");
        assertEquals(2, usage.code());
        Cli noCorpus = Cli.run("pretrain");
        assertEquals(2, noCorpus.code());
        Cli context = Cli.run(args(corpus, tmp.resolve("o2"), "--context", "4000"));
        assertEquals(1, context.code());
        assertTrue(context.err().contains("shorter context"), context.err());
    }
}
