package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.SharedData;
import dev.plinth.knowledge.Ingest;
import dev.plinth.knowledge.KnowledgeBase;
import dev.plinth.knowledge.KnowledgeEmbedder;
import dev.plinth.knowledge.KnowledgeLayer;
import dev.plinth.product.Plinthfile;
import dev.plinth.product.ProductCreator;
import dev.plinth.product.ProductName;
import dev.plinth.product.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A knowledge product served: its chat replies carry the passages they were grounded in, as {@code citations}. */
class KnowledgeServingTest {

    private static final String VISITING = """
            Visiting hours

            Visitors are welcome from two to eight in the afternoon and evening.
            Quiet hours on the wards run from nine in the evening until seven in the morning.
            """;

    @RegisterExtension
    static final ServerExtension SERVER = new ServerExtension((dir, store) -> {
        Path docs = Files.createDirectories(dir.resolve("docs"));
        Files.writeString(docs.resolve("visiting.txt"), VISITING);
        Files.writeString(docs.resolve("parking.txt"), "Parking\n\nThe car park by the east entrance is free for visitors.\n");
        try (KnowledgeEmbedder tiniest = KnowledgeEmbedder.openModel(SharedData.require("models/bert-tiniest"))) {
            Ingest.create(KnowledgeBase.folder(store, "policies"), "policies", List.of(docs),
                    new Ingest.Options(32, 4, "id", "text", 1 << 20), tiniest, Ingest.Listener.NONE);
        }
        Path plinthfile = Files.writeString(dir.resolve("policy.Plinthfile"), "FROM base\nKNOWLEDGE policies\n");
        ProductCreator.create(Store.open(store), ProductName.parse("policy"), Plinthfile.read(plinthfile), false,
                ProductCreator.Listener.NONE, new KnowledgeLayer(store));
        // the grounded prompt (instructions, four numbered passages, the question) outgrows the usual 256 tokens
        return TestServers.config(store).withBatching(16, 64, 1024, 256L << 20);
    });

    @Test
    void aKnowledgeProductsReplyCitesLinesThatHoldItsPassages() throws Exception {
        JsonNode body = SERVER.client().post("/v1/chat/completions", """
                {"model": "policy", "max_tokens": 4, "temperature": 0,
                 "messages": [{"role": "user", "content": "When are quiet hours on the wards?"}]}
                """).json();
        JsonNode citations = body.path("choices").path(0).path("message").path("citations");
        assertTrue(citations.isArray() && !citations.isEmpty(), body.toString());
        for (int i = 0; i < citations.size(); i++) {
            JsonNode c = citations.get(i);
            assertEquals(i + 1, c.path("index").asInt(), "citations are numbered as the prompt numbers them");
            List<String> lines = Files.readAllLines(Path.of(c.path("source").asText()));
            String cited = String.join("\n", lines.subList(c.path("first_line").asInt() - 1, c.path("last_line").asInt()));
            for (String line : c.path("text").asText().split("\n")) {
                assertTrue(cited.contains(line.strip()), c + " does not hold '" + line + "'");
            }
        }
        JsonNode plain = SERVER.client().post("/v1/chat/completions", """
                {"model": "base", "max_tokens": 2, "messages": [{"role": "user", "content": "Hi"}]}
                """).json();
        assertTrue(plain.path("choices").path(0).path("message").path("citations").isMissingNode(),
                "a product without knowledge cites nothing");
    }
}
