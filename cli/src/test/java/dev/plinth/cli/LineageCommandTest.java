package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.product.Digest;
import dev.plinth.product.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/**
 * Lineage end to end: a tiny pretraining run (tokenizer, corpus, a few steps) becomes a product, a
 * second product stands on it, and the tree runs back through the checkpoint to the corpus card and
 * the tokenizer, each by digest; then it is drawn as SVG.
 */
class LineageCommandTest {

    @TempDir
    Path tmp;

    private static final String[] TINY = {"--hidden", "16", "--layers", "1", "--heads", "2", "--kv-heads", "1", "--ffn", "32",
            "--batch", "2", "--warmup", "1", "--eval-every", "2", "--eval-batches", "1", "--context", "8", "--steps", "2", "-q"};

    @Test
    void aProductRemembersThePretrainingRunItsBaseCameFrom() throws Exception {
        Path prose = CorpusTestData.prose(tmp.resolve("prose"), 5, 4, 6);
        Path tokenizer = tmp.resolve("tok/tokenizer.json");
        assertEquals(0, Cli.run("-q", "tokenizer", "train", prose.toString(), "--vocab-size", "300", "-o", tokenizer.toString()).code());
        Path corpus = tmp.resolve("corpus");
        Cli built = Cli.run("-q", "corpus", "build", "--tokenizer", tokenizer.toString(), "--source", "prose=" + prose,
                "-o", corpus.toString(), "--val-fraction", "0.2");
        assertEquals(0, built.code(), built.err());
        Path run = tmp.resolve("run");
        String[] pretrain = new String[TINY.length + 5];
        System.arraycopy(new String[] {"pretrain", "--corpus", corpus.toString(), "--out", run.toString()}, 0, pretrain, 0, 5);
        System.arraycopy(TINY, 0, pretrain, 5, TINY.length);
        Cli trained = Cli.run(pretrain);
        assertEquals(0, trained.code(), trained.err());

        Path home = tmp.resolve("home");
        Fixtures.write(tmp.resolve("Plinthfile-base"), "FROM run\nDESCRIPTION A tiny base.\n");
        Cli base = Cli.runIn(home, "create", "tiny-base", "-f", tmp.resolve("Plinthfile-base").toString());
        assertEquals(0, base.code(), base.err());
        assertTrue(base.err().contains("exporting the pretraining checkpoint"), base.err());
        Fixtures.write(tmp.resolve("Plinthfile-tutor"), "FROM tiny-base\nSYSTEM Answer briefly.\nPARAMETER max_tokens 4\nPARAMETER num_ctx 64\n");
        Cli tutor = Cli.runIn(home, "create", "tutor", "-f", tmp.resolve("Plinthfile-tutor").toString());
        assertEquals(0, tutor.code(), tutor.err());

        String tree = Cli.runIn(home, "show", "tutor", "--lineage").out();
        String card = Digest.ofFile(corpus.resolve("card.json")).toString().substring(0, 19);
        String tok = Digest.ofFile(corpus.resolve("tokenizer.json")).toString().substring(0, 19);
        String checkpoint = Digest.ofFile(run.resolve("checkpoint.plnt")).toString().substring(0, 19);
        assertTrue(tree.startsWith("tutor:latest  sha256:"), tree);
        assertTrue(tree.contains("└── from: product tiny-base:latest  sha256:"), tree);
        assertTrue(tree.contains("    └── base: gguf run  sha256:"), tree);
        assertTrue(tree.contains("        └── source: checkpoint checkpoint.plnt  " + checkpoint), tree);
        assertTrue(tree.contains("            ├── corpus: dataset-card corpus  " + card), tree);
        assertTrue(tree.contains("            └── tokenizer: tokenizer tokenizer.json  " + tok), tree);
        assertEquals(tree, Cli.runIn(home, "lineage", "tutor").out());

        Path svg = tmp.resolve("lineage/tutor.svg");
        Cli drawn = Cli.runIn(home, "lineage", "tutor", "--svg", svg.toString());
        assertEquals(0, drawn.code(), drawn.err());
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
        assertEquals("svg", doc.getDocumentElement().getTagName());
        assertEquals(7, doc.getElementsByTagName("rect").getLength(), "a background and six boxes");
        assertEquals(5, doc.getElementsByTagName("line").getLength());
        assertTrue(Files.readString(svg).contains(card), "boxes show digests");

        Cli ran = Cli.runIn(home, "run", "tutor", "Hello", "--seed", "1");
        assertEquals(0, ran.code(), ran.err());
        assertTrue(ran.err().matches("(?s).*decode [1-4] tokens.*"), "the product's max_tokens 4 applies: " + ran.err());
        assertEquals(2, Cli.runIn(home, "lineage").code());
    }
}
