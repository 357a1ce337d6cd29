package dev.plinth.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gold document's rank counts distinct documents; recall and MRR follow from it. */
class KnowledgeEvalTest {

    @TempDir
    Path tmp;

    private static Hit hit(int rank, String doc) {
        return new Hit(rank, 0, doc, "p", "t", "", rank, rank, 0, 0, doc + rank);
    }

    @Test
    void rankAmongDistinctDocuments() {
        List<Hit> hits = List.of(hit(1, "a"), hit(2, "a"), hit(3, "b"), hit(4, "c"));
        assertEquals(1, KnowledgeEval.rank(hits, "a"));
        assertEquals(2, KnowledgeEval.rank(hits, "b"));
        assertEquals(3, KnowledgeEval.rank(hits, "c"));
        assertEquals(0, KnowledgeEval.rank(hits, "z"));
    }

    @Test
    void scoresOverQuestions() throws Exception {
        Path docs = tmp.resolve("docs");
        TestFiles.write(docs.resolve("faq.jsonl"), """
                {"id": "q1", "text": "Apples grow on trees in the orchard."}
                {"id": "q2", "text": "Bananas ripen in the warm sun."}
                """);
        Path folder = tmp.resolve("kb");
        Ingest.create(folder, "kb", List.of(docs), new Ingest.Options(32, 4, "id", "text", 1 << 20), TestFiles.tiniest(),
                Ingest.Listener.NONE);
        Path questions = TestFiles.write(tmp.resolve("q.jsonl"), """
                {"question": "apples orchard", "gold_doc_id": "q1"}
                {"question": "bananas", "gold_doc_id": "q2"}
                {"question": "cherries", "gold_doc_id": "q3"}
                """);
        try (KnowledgeBase kb = KnowledgeBase.open(folder)) {
            KnowledgeEval.Scores s = KnowledgeEval.run(kb, TestFiles.tiniest(), KnowledgeEval.read(questions),
                    List.of(SearchMode.BM25), n -> { }).getFirst();
            assertEquals(new KnowledgeEval.Scores(SearchMode.BM25, 3, 2 / 3.0, 2 / 3.0, 2 / 3.0, 2 / 3.0), s);
        }
    }
}
