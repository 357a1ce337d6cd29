package dev.plinth.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongConsumer;
import java.util.Arrays;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ingest whose documents are split into parts, each written as an index shard of its own and the shards
 * added whole (as Spark's executors and driver do), makes the knowledge base one machine makes: the same
 * documents and vectors in the same order, and the same BM25 hits and scores, after create and after add.
 */
class IndexPartTest {

    @TempDir
    Path tmp;

    /** Reads here, writes {@link IndexPart#split} parts as shards under {@code staging}, then adds them. */
    record ShardedWork(KnowledgeEmbedder embedder, int parts, Path staging, List<Integer> shards) implements Ingest.Work {
        @Override
        public List<Ingest.FileRead> read(List<Ingest.NewFile> files, KnowledgeSettings settings) throws IOException {
            return Ingest.Work.local(embedder).read(files, settings);
        }

        @Override
        public void write(List<Ingest.FileRead> files, IndexWriter w, LongConsumer embedded) throws IOException {
            List<Path> dirs = new ArrayList<>();
            List<IndexPart> split = IndexPart.split(files, parts);
            for (int i = 0; i < split.size(); i++) {
                Path dir = staging.resolve(shards.size() + "-" + i);
                split.get(i).writeShard(dir, embedder);
                dirs.add(dir);
            }
            shards.add(split.size());
            IndexPart.addShards(w, dirs);
        }
    }

    @Test
    void shardsAddedWholeSearchAsTheIndexOneMachineWrites() throws IOException {
        Path docs = Files.createDirectories(tmp.resolve("docs"));
        Random random = new Random(15);
        String[] words = {"ward", "nurse", "visit", "parking", "dose", "chart", "quiet", "hours", "key", "mirror", "archive",
                "flowers", "children", "adult", "evening", "morning", "cabinet", "drug", "record", "policy"};
        for (int f = 0; f < 24; f++) {
            StringBuilder text = new StringBuilder("# File " + f + "\n\n");
            for (int p = 0; p < 3 + f % 7; p++) {
                for (int w = 0; w < 60; w++) {
                    text.append(words[random.nextInt(words.length)]).append(w % 12 == 11 ? ".\n" : " ");
                }
                text.append("\n\n");
            }
            Files.writeString(docs.resolve(String.format("f%02d.md", f)), text);
        }
        Files.writeString(docs.resolve("empty.txt"), "");
        Ingest.Options options = new Ingest.Options(32, 4, "id", "text", 1 << 20);
        KnowledgeEmbedder e = TestFiles.tiniest();
        List<Integer> shards = new ArrayList<>();
        Path one = tmp.resolve("one");
        Path sharded = tmp.resolve("sharded");
        IngestReport a = Ingest.create(one, "one", List.of(docs), options, e, Ingest.Listener.NONE);
        Ingest.create(sharded, "sharded", List.of(docs.toString()), options, e, new ShardedWork(e, 5, tmp.resolve("staging"), shards),
                Ingest.Listener.NONE);
        assertTrue(a.chunks() > IndexPart.GROUP_CHUNKS + KnowledgeEmbedder.BATCH, a.toText() + ": several embedding groups");
        assertEquals(5, shards.getFirst(), "parts written apart");
        assertSameSearches(one, sharded, e, words);

        Files.writeString(docs.resolve("f03.md"), "# Changed\n\nThe ward key is kept in the cabinet of the nurse in charge.\n");
        Files.delete(docs.resolve("f07.md"));
        Files.writeString(docs.resolve("new.md"), "# New\n\nVisiting hours end at eight in the evening.\n");
        Ingest.add(one, List.of(), e, Ingest.Listener.NONE);
        Ingest.add(sharded, List.of(), e, new ShardedWork(e, 5, tmp.resolve("staging"), shards), Ingest.Listener.NONE);
        assertSameSearches(one, sharded, e, words);
    }

    /**
     * The same documents (stored fields, vectors) in the same order, and the same BM25 hits and scores. Vector
     * search is approximate (HNSW, one graph per segment) and the shards are segments of their own, so its hits
     * are compared in the Spark tests, with a real embedder, not with this 4-dimensional one.
     */
    private static void assertSameSearches(Path one, Path sharded, KnowledgeEmbedder e, String[] words) throws IOException {
        assertEquals(documents(one), documents(sharded));
        try (KnowledgeBase a = KnowledgeBase.open(one); KnowledgeBase b = KnowledgeBase.open(sharded)) {
            assertEquals(a.files(), b.files());
            for (String query : List.of("ward key", "visiting hours evening", words[3] + " " + words[7], "flowers for children")) {
                List<Hit> expected = a.search(e, query, 10, SearchMode.BM25);
                assertTrue(!expected.isEmpty(), query);
                assertEquals(expected, b.search(e, query, 10, SearchMode.BM25), query);
            }
        }
    }

    /** Every document of the index, in index order: its stored fields and its vector, as text. */
    private static List<String> documents(Path kb) throws IOException {
        List<String> out = new ArrayList<>();
        try (Directory d = FSDirectory.open(kb.resolve(KnowledgeBase.INDEX)); DirectoryReader r = DirectoryReader.open(d)) {
            for (LeafReaderContext leaf : r.leaves()) {
                Bits live = leaf.reader().getLiveDocs();
                FloatVectorValues vectors = leaf.reader().getFloatVectorValues(IndexFields.VECTOR);
                KnnVectorValues.DocIndexIterator it = vectors == null ? null : vectors.iterator();
                StoredFields stored = leaf.reader().storedFields();
                for (int doc = 0; doc < leaf.reader().maxDoc(); doc++) {
                    String vector = "";
                    if (it != null && it.docID() < doc) {
                        it.advance(doc);
                    }
                    if (it != null && it.docID() == doc) {
                        vector = Arrays.toString(vectors.vectorValue(it.index()));
                    }
                    if (live == null || live.get(doc)) {
                        out.add(stored.document(doc).getFields().stream().map(f -> f.name() + "=" + f.stringValue()
                                + (f.numericValue() == null ? "" : f.numericValue())).toList() + vector);
                    }
                }
            }
        }
        return out;
    }
}
