package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** plinth knowledge create, add, rm, list, show, search and eval, in-process against a PLINTH_HOME in a temporary folder. */
class KnowledgeCommandsTest {

    @TempDir
    Path tmp;

    private Path docs() throws Exception {
        Path docs = Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(docs.resolve("visiting.md"), """
                # Visiting

                Visitors are welcome between eight in the morning and eight in the evening.

                # Parking

                Blue badge holders park free of charge in the multi-storey car park.
                """);
        Files.writeString(docs.resolve("faq.jsonl"), """
                {"doc_id": "faq/meals", "text": "Breakfast is served at half past seven on every ward."}
                {"doc_id": "faq/chapel", "text": "The chaplaincy offers a quiet room for prayer on the ground floor."}
                """);
        Files.write(docs.resolve("photo.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 0, 0x10});
        return docs;
    }

    @Test
    void createSearchShowListAndEvalWithTheDefaultEmbedder() throws Exception {
        Path home = tmp.resolve("home");
        Path docs = docs();
        Cli created = Cli.runIn(home, "knowledge", "create", "hospital", "--from", docs.toString(),
                "--id-field", "doc_id", "--text-field", "text");
        assertEquals(0, created.code(), created.err());
        assertTrue(created.out().startsWith("2 added, 0 changed, 0 unchanged, 0 removed, 1 skipped; 3 documents, 4 chunks embedded in "),
                created.out());
        assertTrue(created.out().contains("skipped " + docs.resolve("photo.jpg").toAbsolutePath() + ": binary file (a NUL byte at offset 2)"),
                created.out());
        assertTrue(created.err().contains("plinth: embedding"), created.err());

        Cli search = Cli.runIn(home, "knowledge", "search", "hospital", "Where do I leave my car?", "--k", "2", "--json");
        assertEquals(0, search.code(), search.err());
        JsonNode hits = new ObjectMapper().readTree(search.out());
        assertEquals(2, hits.size());
        JsonNode top = hits.get(0);
        assertEquals("docs/visiting.md", top.get("doc_id").asText());
        assertEquals(docs.resolve("visiting.md").toAbsolutePath().toString(), top.get("path").asText());
        assertEquals(5, top.get("first_line").asInt());
        assertEquals(7, top.get("last_line").asInt());
        assertEquals("Parking\n\nBlue badge holders park free of charge in the multi-storey car park.", top.get("text").asText());
        assertEquals(1, top.get("rank").asInt());
        assertTrue(top.get("score").asDouble() > 0);

        Cli bm25 = Cli.runIn(home, "knowledge", "search", "hospital", "breakfast", "--mode", "bm25", "--k", "1");
        assertEquals(0, bm25.code(), bm25.err());
        assertTrue(bm25.out().matches("1  \\d\\.\\d{4}  faq/meals  " + java.util.regex.Pattern.quote(
                docs.resolve("faq.jsonl").toAbsolutePath() + ":1") + "\n   Breakfast is served at half past seven on every ward.\n"), bm25.out());

        Cli show = Cli.runIn(home, "knowledge", "show", "hospital");
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("embedder      builtin:all-minilm-l6-v2  sha256:"), show.out());
        assertTrue(show.out().contains("chunking      256 tokens, overlap 32"), show.out());
        assertTrue(show.out().contains("documents     3\nchunks        4\n"), show.out());
        assertTrue(show.out().matches("(?s).*/docs/faq\\.jsonl +application/jsonl +2 +2 +192 B .*"), show.out());

        Cli list = Cli.runIn(home, "knowledge", "list");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.outLines()[1].matches("hospital +2 +3 +4 +[\\d.]+ KiB +builtin:all-minilm-l6-v2"), list.out());

        Path questions = Files.writeString(tmp.resolve("q.jsonl"), """
                {"question": "When is breakfast?", "gold_doc_id": "faq/meals"}
                {"question": "Is there a place to pray?", "gold_doc_id": "faq/chapel"}
                """);
        Cli eval = Cli.runIn(home, "knowledge", "eval", "hospital", questions.toString());
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("| mode | recall@1 | recall@5 | recall@10 | MRR |\n|---|---|---|---|---|\n| bm25 | "), eval.out());
        assertTrue(eval.out().contains("| hybrid | 1.000 | 1.000 | 1.000 | 1.000 |"), eval.out());
    }

    @Test
    void addRemoveAndRefusals() throws Exception {
        Path home = tmp.resolve("home");
        Path docs = docs();
        String tiniest = SharedData.require("models/bert-tiniest").toString();
        assertEquals(0, Cli.runIn(home, "knowledge", "create", "kb", "--from", docs.resolve("visiting.md").toString(),
                "--embedder", tiniest, "--chunk-tokens", "64", "--overlap", "8", "--id-field", "doc_id").code());

        Cli again = Cli.runIn(home, "knowledge", "create", "kb", "--from", docs.toString(), "--embedder", tiniest);
        assertEquals(1, again.code());
        assertTrue(again.err().contains("knowledge base 'kb' exists"), again.err());

        Cli add = Cli.runIn(home, "knowledge", "add", "kb", docs.toString());
        assertEquals(0, add.code(), add.err());
        assertTrue(add.out().startsWith("1 added, 0 changed, 1 unchanged, 0 removed, 1 skipped; 2 documents"), add.out());

        Cli other = Cli.runIn(home, "knowledge", "search", "kb", "parking", "--mode", "bm25", "--embedder", "builtin:all-minilm-l6-v2");
        assertEquals(1, other.code());
        assertTrue(other.err().contains("was built with the embedder " + tiniest), other.err());

        Cli rm = Cli.runIn(home, "knowledge", "rm", "kb", docs.resolve("visiting.md").toString());
        assertEquals(0, rm.code(), rm.err());
        assertTrue(rm.out().startsWith("0 added, 0 changed, 0 unchanged, 1 removed"), rm.out());
        Cli search = Cli.runIn(home, "knowledge", "search", "kb", "parking", "--mode", "bm25");
        assertEquals("", search.out());

        Cli missing = Cli.runIn(home, "knowledge", "show", "nothing");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("no knowledge base 'nothing'"), missing.err());
        Cli badName = Cli.runIn(home, "knowledge", "show", "Bad Name");
        assertEquals(2, badName.code());
        Cli badMode = Cli.runIn(home, "knowledge", "search", "kb", "x", "--mode", "fuzzy");
        assertEquals(2, badMode.code());
        assertTrue(badMode.err().contains("the search mode must be hybrid, bm25 or vector, not 'fuzzy'"), badMode.err());
    }
}
