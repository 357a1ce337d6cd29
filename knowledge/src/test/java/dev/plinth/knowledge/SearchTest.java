package dev.plinth.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Search by words, by meaning and both, with all-MiniLM-L6-v2, over one file of each format. */
class SearchTest {

    @TempDir
    static Path tmp;
    static Path docs;
    static KnowledgeBase kb;

    @BeforeAll
    static void build() throws IOException {
        docs = TestFiles.corpus(tmp.resolve("docs"));
        Path folder = tmp.resolve("kb");
        Ingest.create(folder, "hospital", List.of(docs), new Ingest.Options(256, 32, "doc_id", "text", 1 << 20),
                TestFiles.minilm(), Ingest.Listener.NONE);
        kb = KnowledgeBase.open(folder);
    }

    private static Hit top(String query, SearchMode mode) throws IOException {
        List<Hit> hits = kb.search(TestFiles.minilm(), query, 3, mode);
        assertTrue(!hits.isEmpty(), "no hit for " + query);
        return hits.getFirst();
    }

    @Test
    void exactWordsByBm25() throws IOException {
        Hit h = top("measles", SearchMode.BM25);
        assertEquals("docs/infection.pdf", h.documentId());
        assertEquals(2, h.firstPage());
        assertEquals(docs.resolve("infection.pdf").toAbsolutePath() + ", page 2, lines 1-2", h.location());
        assertEquals("faq/1", top("breakfast", SearchMode.BM25).documentId());
    }

    @Test
    void meaningByVectors() throws IOException {
        assertEquals("docs/parking.html", top("Where can employees leave their automobiles?", SearchMode.VECTOR).documentId());
        assertEquals("docs/guide.md", top("Who checks narcotics before they are administered?", SearchMode.VECTOR).documentId());
    }

    @Test
    void hybridFusesBoth() throws IOException {
        Hit h = top("When may children visit patients?", SearchMode.HYBRID);
        assertEquals("docs/visiting.txt", h.documentId());
        assertEquals(2.0 / (KnowledgeBase.RRF_K + 1), h.score(), 1e-12, "first in both rankings");
        assertEquals("faq/2", top("Is there somewhere to pray?", SearchMode.HYBRID).documentId());
    }

    @Test
    void everyHitPointsAtLinesThatHoldItsPassage() throws IOException {
        for (String q : List.of("visitors children adult", "quiet hours telephones", "controlled drugs cabinet key", "dose weight rate")) {
            for (Hit h : kb.search(TestFiles.minilm(), q, 10, SearchMode.HYBRID)) {
                if (h.firstPage() > 0 || h.path().endsWith(".jsonl")) {
                    continue;
                }
                List<String> lines = Files.readAllLines(Path.of(h.path())).subList(h.firstLine() - 1, h.lastLine());
                String source = String.join(" ", lines).replaceAll("<[^>]+>", " ").replaceAll("\\s+", " ");
                for (String passageLine : h.text().split("\n")) {
                    assertTrue(source.contains(passageLine.strip().replaceAll("\\s+", " ")),
                            h.location() + " does not hold '" + passageLine + "'");
                }
            }
        }
    }

    @Test
    void fusionRanksByTheSumOfReciprocalRanks() {
        Hit a = new Hit(1, 0, "a", "p", "t", "", 1, 1, 0, 0, "a");
        Hit b = new Hit(2, 0, "b", "p", "t", "", 2, 2, 0, 0, "b");
        Hit c = new Hit(1, 0, "c", "p", "t", "", 3, 3, 0, 0, "c");
        List<Hit> fused = KnowledgeBase.fuse(List.of(List.of(a, b), List.of(c, b.withRank(2, 0))), 3);
        assertEquals(List.of("b", "a", "c"), fused.stream().map(Hit::documentId).toList());
        assertEquals(2.0 / 62, fused.getFirst().score(), 1e-12);
    }
}
