package dev.plinth.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Retrieval quality on questions with a known answer document: for each question the
 * {@value #DEPTH} best chunks are reduced to their distinct documents in rank order, and the gold
 * document's rank there gives recall@1, @5, @10 (whether it is within the first k) and the mean
 * reciprocal rank (0 when it is not among them).
 */
public final class KnowledgeEval {
    /** Chunks retrieved per question. */
    public static final int DEPTH = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A question and the id of the document that answers it. */
    public record Question(String question, String goldDocumentId) {
    }

    /** One mode's scores over all questions. */
    public record Scores(SearchMode mode, int questions, double recallAt1, double recallAt5, double recallAt10, double mrr) {
    }

    private KnowledgeEval() {
    }

    /** Questions from JSONL: {@code question} and {@code gold_doc_id} on each line. */
    public static List<Question> read(Path jsonl) throws IOException {
        List<Question> questions = new ArrayList<>();
        List<String> lines = Files.readAllLines(jsonl);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode n;
            try {
                n = JSON.readTree(lines.get(i));
            } catch (IOException e) {
                throw new KnowledgeException(jsonl + ":" + (i + 1) + ": not JSON");
            }
            if (!n.path("question").isTextual() || !n.path("gold_doc_id").isValueNode()) {
                throw new KnowledgeException(jsonl + ":" + (i + 1) + ": needs the fields question and gold_doc_id");
            }
            questions.add(new Question(n.get("question").asText(), n.get("gold_doc_id").asText()));
        }
        if (questions.isEmpty()) {
            throw new KnowledgeException(jsonl + ": no questions");
        }
        return questions;
    }

    /** The scores of each mode; {@code progress} hears the number of questions done in the current mode. */
    public static List<Scores> run(KnowledgeBase kb, KnowledgeEmbedder embedder, List<Question> questions,
                                   List<SearchMode> modes, IntConsumer progress) throws IOException {
        List<Scores> all = new ArrayList<>();
        for (SearchMode mode : modes) {
            int[] hitsAt = new int[3];
            double reciprocal = 0;
            for (int i = 0; i < questions.size(); i++) {
                Question q = questions.get(i);
                int rank = rank(kb.search(mode == SearchMode.BM25 ? null : embedder, q.question(), DEPTH, mode), q.goldDocumentId());
                if (rank > 0) {
                    reciprocal += 1.0 / rank;
                    hitsAt[0] += rank <= 1 ? 1 : 0;
                    hitsAt[1] += rank <= 5 ? 1 : 0;
                    hitsAt[2] += rank <= 10 ? 1 : 0;
                }
                progress.accept(i + 1);
            }
            double n = questions.size();
            all.add(new Scores(mode, questions.size(), hitsAt[0] / n, hitsAt[1] / n, hitsAt[2] / n, reciprocal / n));
        }
        return all;
    }

    /** The 1-based rank of {@code gold} among the distinct documents of {@code hits}, 0 when absent. */
    static int rank(List<Hit> hits, String gold) {
        Set<String> documents = new LinkedHashSet<>();
        for (Hit h : hits) {
            documents.add(h.documentId());
            if (h.documentId().equals(gold)) {
                return documents.size();
            }
        }
        return 0;
    }
}
