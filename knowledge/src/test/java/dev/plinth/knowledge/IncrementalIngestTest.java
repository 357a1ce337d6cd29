package dev.plinth.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Re-ingest embeds only what changed, drops deleted files, and refuses another embedder. */
class IncrementalIngestTest {

    @TempDir
    Path tmp;

    private static final Ingest.Options SMALL = new Ingest.Options(32, 4, "id", "text", 1 << 20);

    private static String paragraphs(String word, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("The ").append(word).append(" paragraph number ").append(i).append(" says something about ").append(word).append(".\n\n");
        }
        return sb.toString();
    }

    @Test
    void onlyChangedFilesAreEmbeddedAgainAndDeletedOnesDropped() throws Exception {
        Path docs = tmp.resolve("docs");
        TestFiles.write(docs.resolve("alpha.txt"), paragraphs("alpha", 3));
        TestFiles.write(docs.resolve("beta.txt"), paragraphs("beta", 3));
        TestFiles.write(docs.resolve("gamma.txt"), paragraphs("gamma", 3));
        TestFiles.write(docs.resolve("sub/delta.md"), "# Delta\n\n" + paragraphs("delta", 2));
        Path kb = tmp.resolve("kb");
        IngestReport first = Ingest.create(kb, "kb", List.of(docs), SMALL, TestFiles.tiniest(), Ingest.Listener.NONE);
        assertEquals(4, first.added().size(), first.toText());
        int chunksBefore;
        try (KnowledgeBase base = KnowledgeBase.open(kb)) {
            chunksBefore = base.chunks();
            assertEquals(first.chunks(), chunksBefore);
            assertEquals("docs/sub/delta.md", base.search(null, "delta", 1, SearchMode.BM25).getFirst().documentId());
        }

        TestFiles.write(docs.resolve("alpha.txt"), paragraphs("alpha", 5));
        Files.delete(docs.resolve("beta.txt"));
        TestFiles.write(docs.resolve("epsilon.txt"), paragraphs("epsilon", 2));
        Files.setLastModifiedTime(docs.resolve("gamma.txt"), FileTime.fromMillis(1_000_000_000_000L));
        IngestReport second = Ingest.add(kb, List.of(), TestFiles.tiniest(), Ingest.Listener.NONE);
        assertEquals(List.of(docs.resolve("epsilon.txt").toAbsolutePath().toString()), second.added());
        assertEquals(List.of(docs.resolve("alpha.txt").toAbsolutePath().toString()), second.changed());
        assertEquals(List.of(docs.resolve("beta.txt").toAbsolutePath().toString()), second.removed());
        assertEquals(2, second.unchanged(), "gamma (touched, same bytes) and delta");
        try (KnowledgeBase base = KnowledgeBase.open(kb)) {
            int alpha = chunksOf(base, "alpha.txt");
            int epsilon = chunksOf(base, "epsilon.txt");
            assertEquals(alpha + epsilon, second.chunks(), "only the changed and the new file were embedded");
            assertTrue(base.search(null, "beta", 5, SearchMode.BM25).isEmpty(), "the deleted file's chunks are gone");
            assertEquals("docs/gamma.txt", base.search(null, "gamma", 1, SearchMode.BM25).getFirst().documentId());
            assertEquals(1_000_000_000_000L, base.files().stream().filter(f -> f.path().endsWith("gamma.txt"))
                    .findFirst().orElseThrow().modified(), "the new modification time is recorded");
            assertEquals(base.files().stream().mapToInt(SourceFile::chunks).sum(), base.chunks());
        }

        IngestReport removed = Ingest.remove(kb, List.of(docs.resolve("sub")));
        assertEquals(List.of(docs.resolve("sub/delta.md").toAbsolutePath().toString()), removed.removed());
        try (KnowledgeBase base = KnowledgeBase.open(kb)) {
            assertTrue(base.search(null, "delta", 5, SearchMode.BM25).isEmpty());
            assertEquals(List.of(docs.toAbsolutePath().toString()), base.settings().roots());
        }
    }

    @Test
    void anotherEmbedderIsRefused() throws Exception {
        Path docs = tmp.resolve("docs");
        TestFiles.write(docs.resolve("alpha.txt"), paragraphs("alpha", 2));
        Path kb = tmp.resolve("kb");
        Ingest.create(kb, "kb", List.of(docs), SMALL, TestFiles.tiniest(), Ingest.Listener.NONE);
        try (KnowledgeBase base = KnowledgeBase.open(kb)) {
            assertEquals(TestFiles.tiniest().digest(), base.settings().embedderDigest());
            EmbedderMismatchException e = assertThrows(EmbedderMismatchException.class,
                    () -> base.search(TestFiles.minilm(), "alpha", 3, SearchMode.HYBRID));
            assertTrue(e.getMessage().startsWith("knowledge base 'kb' was built with the embedder "
                    + TestFiles.tiniest().source() + " (" + TestFiles.tiniest().digest() + "), not builtin:all-minilm-l6-v2 ("),
                    e.getMessage());
            assertThrows(EmbedderMismatchException.class, () -> base.search(TestFiles.minilm(), "alpha", 3, SearchMode.BM25));
            assertEquals(1, base.search(TestFiles.tiniest(), "alpha", 3, SearchMode.HYBRID).size());
        }
        assertThrows(EmbedderMismatchException.class, () -> Ingest.add(kb, List.of(), TestFiles.minilm(), Ingest.Listener.NONE));
        KnowledgeException exists = assertThrows(KnowledgeException.class,
                () -> Ingest.create(kb, "kb", List.of(docs), SMALL, TestFiles.tiniest(), Ingest.Listener.NONE));
        assertTrue(exists.getMessage().contains("exists"), exists.getMessage());
    }

    @Test
    void theSameModelFilesElsewhereAreTheSameEmbedder() throws Exception {
        Path copy = Files.createDirectories(tmp.resolve("copy"));
        Path shared = Path.of(TestFiles.tiniest().source());
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            Files.copy(shared.resolve(f), copy.resolve(f));
        }
        assertEquals(TestFiles.tiniest().digest(), KnowledgeEmbedder.identity(copy));
    }

    private static int chunksOf(KnowledgeBase base, String name) throws Exception {
        return base.files().stream().filter(f -> f.path().endsWith(name)).findFirst().orElseThrow().chunks();
    }
}
