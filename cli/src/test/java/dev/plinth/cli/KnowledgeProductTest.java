package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.AtomicFiles;
import dev.plinth.product.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A product with KNOWLEDGE: the index stored as a layer by digest, and run --sources citing lines that hold the passages. */
class KnowledgeProductTest {

    @TempDir
    Path tmp;

    @Test
    void aProductCitesTheLinesOfItsKnowledge() throws Exception {
        Path home = tmp.resolve("home");
        Path stories = Fixtures.stories(tmp);
        Path docs = Files.createDirectories(tmp.resolve("policies"));
        Files.writeString(docs.resolve("visiting.md"), """
                # Visiting

                Visitors are welcome between eight in the morning and eight in the evening.
                Children must be accompanied by an adult.

                # Parking

                Blue badge holders park free of charge.
                """);
        String tiniest = SharedData.require("models/bert-tiniest").toString();
        assertEquals(0, Cli.runIn(home, "knowledge", "create", "policies", "--from", docs.toString(), "--embedder", tiniest,
                "--chunk-tokens", "32", "--overlap", "0").code());

        Path plinthfile = Fixtures.write(tmp.resolve("policy.Plinthfile"), "FROM " + stories + "\nKNOWLEDGE policies\n"
                + "PARAMETER temperature 0\nPARAMETER max_tokens 8\nPARAMETER num_ctx 1024\n");
        Cli created = Cli.runIn(home, "create", "policy", "-f", plinthfile.toString());
        assertEquals(0, created.code(), created.err());
        assertTrue(created.err().contains("packing and storing the knowledge base policies"), created.err());
        Cli again = Cli.runIn(home, "create", "policy:again", "-f", plinthfile.toString());
        assertEquals(created.out().split(" ")[1], again.out().split(" ")[1], "the same index gives the same layer and manifest");

        Cli show = Cli.runIn(home, "show", "policy");
        assertTrue(show.out().matches("(?s).*\nknowledge +[0-9a-f]{12} .*"), show.out());
        Cli lineage = Cli.runIn(home, "show", "policy", "--lineage");
        assertTrue(lineage.out().contains("knowledge: lucene policies  sha256:"), lineage.out());
        assertTrue(Cli.runIn(home, "show", "policy", "--plinthfile").out().contains("\nKNOWLEDGE policies\n"));

        // the product keeps the index it was built with, whatever happens to the knowledge base later
        AtomicFiles.deleteTree(home.resolve("knowledge/policies"));
        Cli run = Cli.runIn(home, "run", "policy", "Can children visit?", "--sources", "--passages", "2");
        assertEquals(0, run.code(), run.err());
        Matcher m = Pattern.compile("\nSources:\n\\[1] (.+):(\\d+)-(\\d+)\n\\[2] (.+):(\\d+)(-(\\d+))?\n$").matcher(run.out());
        assertTrue(m.find(), run.out());
        assertEquals(docs.resolve("visiting.md").toAbsolutePath().toString(), m.group(1));
        List<String> cited = Files.readAllLines(Path.of(m.group(1))).subList(Integer.parseInt(m.group(2)) - 1, Integer.parseInt(m.group(3)));
        assertTrue(String.join("\n", cited).contains("Children must be accompanied by an adult."), cited.toString());

        Cli plain = Cli.runIn(home, "run", "policy", "Can children visit?");
        assertTrue(!plain.out().contains("Sources:"), plain.out());
        Cli badTemplate = Cli.runIn(home, "run", "policy", "x", "--knowledge-template", Fixtures.write(tmp.resolve("t.txt"), "no holes").toString());
        assertEquals(2, badTemplate.code());
        assertNotEquals("", badTemplate.err());
    }
}
