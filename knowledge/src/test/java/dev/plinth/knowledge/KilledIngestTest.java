package dev.plinth.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An ingest killed without warning (kill -9) after writing index files leaves the previous commit searchable. */
class KilledIngestTest {

    @TempDir
    Path tmp;

    private static final Ingest.Options SMALL = new Ingest.Options(32, 4, "id", "text", 1 << 20);

    /** The child: re-ingests args[1] into the knowledge base args[0] with embedder args[2], flushing each group, and stalls after the first. */
    public static void main(String[] args) throws Exception {
        try (KnowledgeEmbedder e = KnowledgeEmbedder.openModel(Path.of(args[2]))) {
            Ingest.add(Path.of(args[0]), List.of(Path.of(args[1])), e, new Ingest.Listener() {
                @Override
                public void embedded(long done, long total) {
                    System.out.println("embedded " + done + " of " + total);
                    System.out.flush();
                    try {
                        Thread.sleep(600_000);
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                }
            }, 1);
        }
    }

    private static void writeFiles(Path docs, String word, int files) throws IOException {
        for (int f = 0; f < files; f++) {
            StringBuilder sb = new StringBuilder();
            for (int p = 0; p < 12; p++) {
                sb.append(word).append(' ').append(f).append(" paragraph ").append(p).append(" tells a short story.\n\n");
            }
            TestFiles.write(docs.resolve(word + "-" + f + ".txt"), sb.toString());
        }
    }

    @Test
    void theLastCommitSurvivesAKilledIngest() throws Exception {
        Path docs = tmp.resolve("docs");
        writeFiles(docs, "apple", 3);
        Path kb = tmp.resolve("kb");
        Ingest.create(kb, "kb", List.of(docs), SMALL, TestFiles.tiniest(), Ingest.Listener.NONE);
        int chunks;
        List<Hit> before;
        try (KnowledgeBase base = KnowledgeBase.open(kb)) {
            chunks = base.chunks();
            before = base.search(null, "apple story", 5, SearchMode.BM25);
        }
        writeFiles(docs, "banana", 60);
        Files.delete(docs.resolve("apple-0.txt"));

        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), KilledIngestTest.class.getName(),
                kb.toString(), docs.toString(), TestFiles.tiniest().source()).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("embedded ")) {
                System.out.println("child: " + line);
            }
            assertTrue(line != null && line.startsWith("embedded "), "the child ended before embedding: " + line);
            assertTrue(uncommittedFiles(kb) > 0, "the child wrote index files beyond the last commit");
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        } finally {
            child.destroyForcibly();
        }

        try (KnowledgeBase base = KnowledgeBase.open(kb)) {
            assertEquals(chunks, base.chunks(), "the previous state, whole");
            assertEquals(before, base.search(null, "apple story", 5, SearchMode.BM25));
            assertTrue(base.search(null, "banana", 5, SearchMode.BM25).isEmpty());
        }
        IngestReport again = Ingest.add(kb, List.of(docs), TestFiles.tiniest(), Ingest.Listener.NONE);
        assertEquals(60, again.added().size(), again.toText());
        assertEquals(1, again.removed().size(), again.toText());
        try (KnowledgeBase base = KnowledgeBase.open(kb)) {
            assertEquals(62, base.files().size());
            assertEquals("banana", base.search(null, "banana", 1, SearchMode.BM25).getFirst().text().split(" ")[0]);
        }
    }

    private static long uncommittedFiles(Path kb) throws IOException {
        Set<String> committed;
        try (KnowledgeBase base = KnowledgeBase.open(kb)) {
            committed = new HashSet<>(base.committedFiles());
        }
        try (Stream<Path> s = Files.list(kb.resolve(KnowledgeBase.INDEX))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !committed.contains(n) && !n.equals("write.lock")).count();
        }
    }
}
