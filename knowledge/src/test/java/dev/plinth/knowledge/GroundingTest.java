package dev.plinth.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.text.ChatMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The grounded prompt, and citations that point at source lines holding the cited passages. */
class GroundingTest {

    @TempDir
    Path tmp;

    @Test
    void theLastUserTurnGetsNumberedPassagesThatCiteTheirLines() throws Exception {
        Path docs = TestFiles.corpus(tmp.resolve("docs"));
        Path folder = tmp.resolve("kb");
        Ingest.create(folder, "hospital", List.of(docs), new Ingest.Options(64, 8, "doc_id", "text", 1 << 20),
                TestFiles.minilm(), Ingest.Listener.NONE);
        try (KnowledgeBase kb = KnowledgeBase.open(folder)) {
            Grounding g = new Grounding(kb, TestFiles.minilm(), null, 3, SearchMode.HYBRID);
            List<ChatMessage> conversation = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hello"),
                    ChatMessage.assistant("Hi."), ChatMessage.user("When are quiet hours on the wards?"));
            Grounding.Grounded grounded = g.ground(conversation);
            assertEquals(conversation.subList(0, 3), grounded.conversation().subList(0, 3), "earlier turns stay as typed");
            assertEquals(3, grounded.citations().size());
            String prompt = grounded.conversation().get(3).content();
            assertTrue(prompt.startsWith("Answer the question using only the numbered sources below."), prompt);
            assertTrue(prompt.endsWith("\n\nQuestion: When are quiet hours on the wards?"), prompt);
            Grounding.Citation first = grounded.citations().getFirst();
            assertEquals("docs/visiting.txt", first.hit().documentId());
            assertTrue(prompt.contains("[1] docs/visiting.txt, lines " + first.hit().firstLine() + "-" + first.hit().lastLine()
                    + "\n" + first.hit().text()), prompt);
            assertEquals("[1] " + docs.resolve("visiting.txt").toAbsolutePath() + ":" + first.hit().firstLine() + "-"
                    + first.hit().lastLine(), first.line());
            for (Grounding.Citation c : grounded.citations()) {
                Hit h = c.hit();
                if (h.firstPage() > 0 || h.path().endsWith(".jsonl")) {
                    continue;
                }
                String source = String.join("\n", Files.readAllLines(Path.of(h.path())).subList(h.firstLine() - 1, h.lastLine()));
                for (String line : h.text().split("\n")) {
                    assertTrue(source.contains(line.strip()), c.line() + " does not hold '" + line + "'");
                }
            }
            assertTrue(first.hit().text().contains("Quiet hours run from nine in the evening"), first.hit().text());
            assertEquals(List.of(2, 1), Grounding.cited("Lights dim at nine [2], phones go silent [1][2]; see [7].", grounded.citations()));
        }
    }

    @Test
    void aTemplateNeedsBothPlaceholders() throws Exception {
        Path docs = Files.createDirectories(tmp.resolve("docs"));
        TestFiles.write(docs.resolve("a.txt"), "Alpha beta gamma.\n");
        Path folder = tmp.resolve("kb");
        Ingest.create(folder, "kb", List.of(docs), new Ingest.Options(32, 4, "id", "text", 1 << 20), TestFiles.tiniest(),
                Ingest.Listener.NONE);
        try (KnowledgeBase kb = KnowledgeBase.open(folder)) {
            assertThrows(IllegalArgumentException.class, () -> new Grounding(kb, TestFiles.tiniest(), "{{question}}", 2, SearchMode.HYBRID));
            Grounding custom = new Grounding(kb, TestFiles.tiniest(), "Q: {{question}}\nS: {{sources}}", 2, SearchMode.BM25);
            assertEquals("Q: alpha?\nS: [1] docs/a.txt, line 1\nAlpha beta gamma.",
                    custom.ground(List.of(ChatMessage.user("alpha?"))).conversation().getFirst().content());
            assertThrows(EmbedderMismatchException.class, () -> new Grounding(kb, TestFiles.minilm(), null, 2, SearchMode.HYBRID));
        }
    }
}
