package dev.plinth.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

/** Chunks follow headings and blocks, stay within the budget, overlap, and keep their lines. */
class ChunkerTest {
    /** One token per word: easy to count by eye. */
    private static final ToIntFunction<String> WORDS = s -> s.isBlank() ? 0 : s.strip().split("\\s+").length;

    private static List<Chunk> chunks(String text, int budget, int overlap) throws Exception {
        Document d = DocumentReader.read(text.getBytes(StandardCharsets.UTF_8), "d", "Doc", DocumentReader.Options.DEFAULT)
                .documents().getFirst();
        return new Chunker(WORDS, budget, overlap).chunk(d);
    }

    @Test
    void headingsStartChunksAndNameTheirSection() throws Exception {
        List<Chunk> c = chunks("# Title\n\nOne two three.\n\n## Part\n\nFour five six.\n", 64, 8);
        assertEquals(2, c.size());
        assertEquals("Title\n\nOne two three.", c.get(0).text());
        assertEquals("Title", c.get(0).section());
        assertEquals("Title > Part", c.get(1).section());
        assertEquals(5, c.get(1).firstLine());
        assertEquals(7, c.get(1).lastLine());
        assertEquals("Title > Title > Part\nPart\n\nFour five six.", c.get(1).embeddedText(), "the leading heading is the title");
    }

    @Test
    void chunksStayWithinTheBudgetAndRepeatTheOverlap() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 40; i++) {
            text.append("line ").append(i).append(" has five words\n");
        }
        int budget = 32;
        List<Chunk> c = chunks(text.toString(), budget, 10);
        assertTrue(c.size() > 5, c.size() + " chunks");
        for (Chunk chunk : c) {
            assertTrue(WORDS.applyAsInt(chunk.embeddedText()) + 2 <= budget, chunk.embeddedText());
        }
        for (int i = 1; i < c.size(); i++) {
            assertEquals(c.get(i - 1).lastLine() - 1, c.get(i).firstLine(), "two lines (10 words) repeat");
        }
        assertEquals(1, c.getFirst().firstLine());
        assertEquals(40, c.getLast().lastLine());
    }

    @Test
    void aLineLongerThanTheBudgetIsCutAtSentencesThenWords() throws Exception {
        String sentence = "This sentence has exactly seven words. ";
        List<Chunk> c = chunks(sentence.repeat(10) + "\n" + "x ".repeat(70) + "\n", 32, 0);
        for (Chunk chunk : c) {
            assertTrue(WORDS.applyAsInt(chunk.embeddedText()) + 2 <= 32, chunk.embeddedText());
        }
        assertTrue(c.getFirst().text().startsWith("This sentence has exactly seven words. This sentence"), c.getFirst().text());
        assertEquals(1, c.getFirst().firstLine());
        assertEquals(2, c.getLast().lastLine());
    }
}
