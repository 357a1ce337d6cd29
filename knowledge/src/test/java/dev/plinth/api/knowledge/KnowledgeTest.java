package dev.plinth.api.knowledge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.api.LanguageModel;
import dev.plinth.api.TextEmbedder;
import dev.plinth.knowledge.Grounding;
import dev.plinth.knowledge.Hit;
import dev.plinth.knowledge.Ingest;
import dev.plinth.knowledge.KnowledgeBase;
import dev.plinth.knowledge.KnowledgeEmbedder;
import dev.plinth.knowledge.KnowledgeLayer;
import dev.plinth.product.Fixtures;
import dev.plinth.product.Plinthfile;
import dev.plinth.product.ProductCreator;
import dev.plinth.product.ProductName;
import dev.plinth.product.Store;
import dev.plinth.text.ChatMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Knowledge bases through the library: create and retrieve, ground a turn, a product's knowledge, the bundled embedder. */
class KnowledgeTest {

    private static final String VISITING = """
            Visiting hours on the wards are from two to eight in the afternoon and evening.

            Quiet hours run from nine in the evening to seven in the morning; phones go silent.
            """;
    private static final String PARKING = """
            # Parking

            The car park by the east entrance is free on Sundays. Permits are sold at the front desk.
            """;

    @TempDir
    Path tmp;

    private Path docs() throws Exception {
        Path docs = Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(docs.resolve("visiting.txt"), VISITING);
        Files.writeString(docs.resolve("parking.md"), PARKING);
        return docs;
    }

    @Test
    void aCreatedKnowledgeBaseRetrievesAndGroundsWithCitations() throws Exception {
        try (Knowledge kb = Knowledge.create(tmp.resolve("kb"), "hospital", List.of(docs()))) {
            assertTrue(kb.size() >= 2, "chunks: " + kb.size());
            List<Hit> hits = kb.retrieve("When are the quiet hours?", 2);
            assertEquals(2, hits.size());
            assertTrue(hits.getFirst().text().contains("Quiet hours run from nine"), hits.getFirst().text());
            assertTrue(hits.getFirst().path().endsWith("visiting.txt"), hits.getFirst().path());
            assertEquals(KnowledgeEmbedder.DEFAULT, kb.embedder().source());
            Grounding.Grounded g = kb.ground(List.of(ChatMessage.user("Is parking free on Sundays?")));
            String prompt = g.conversation().getLast().content();
            assertTrue(prompt.startsWith("Answer the question using only the numbered sources below."), prompt);
            assertTrue(g.citations().getFirst().hit().text().contains("free on Sundays"), prompt);
        }
        try (Knowledge again = Knowledge.open(tmp.resolve("kb"))) {
            assertTrue(again.retrieve("permits front desk", 1).getFirst().text().contains("Permits are sold"));
        }
    }

    @Test
    void aProductsKnowledgeLayerOpensFromTheProduct() throws Exception {
        Path home = tmp.resolve("home");
        try (KnowledgeEmbedder e = KnowledgeEmbedder.openDefault(home)) {
            Ingest.create(KnowledgeBase.folder(home, "rules"), "rules", List.of(docs()), Ingest.Options.DEFAULT, e,
                    Ingest.Listener.NONE);
        }
        Path gguf = Fixtures.stories(tmp.resolve("models"));
        Path plinthfile = Files.writeString(tmp.resolve("Plinthfile"), "FROM " + gguf + "\nKNOWLEDGE rules\n");
        ProductCreator.create(Store.open(home), ProductName.parse("policy"), Plinthfile.read(plinthfile), false,
                ProductCreator.Listener.NONE, new KnowledgeLayer(home));
        try (LanguageModel policy = LanguageModel.openProduct(home, "policy");
             Knowledge kb = Knowledge.ofProduct(policy.product().orElseThrow())) {
            assertTrue(kb.retrieve("visiting hours", 1).getFirst().text().contains("Visiting hours"));
        }
    }

    @Test
    void theBundledEmbedderIsTheKnowledgeBasesOwn() throws Exception {
        Path home = Path.of(System.getenv().getOrDefault("PLINTH_HOME", "target/test-plinth-home"));
        try (TextEmbedder e = Knowledge.defaultEmbedder(); KnowledgeEmbedder own = KnowledgeEmbedder.openDefault(home)) {
            assertEquals(384, e.dimension());
            assertArrayEquals(own.embed("Quiet hours"), e.embed("Quiet hours"));
        }
    }
}
