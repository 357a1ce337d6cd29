package dev.plinth.knowledge;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * A stretch of the documents an ingest adds to its index, in index order: each new or changed file's chunks
 * with their vectors, then its record. The chunks are embedded in groups that fill the encoder's batches across
 * small files, and one machine embeds a group in one call; a part begins at a group or at an encoder batch
 * ({@link KnowledgeEmbedder#BATCH}) within one, so embedding a part group by group gives every chunk the vector
 * one machine gives it. An ingest writes its parts one after another into its index, or each into an index
 * shard of its own ({@link #writeShard}, on another machine) that it then adds whole ({@link #addShards}):
 * the same documents in the same order either way.
 */
public record IndexPart(List<Entry> entries) implements Serializable {

    /** Chunks embedded together on one machine: enough to fill the encoder's batches across small files. */
    static final int GROUP_CHUNKS = 256;

    /** A chunk of file {@code source} (its embedding group {@code group}) or, with {@code chunk} null, a file's record. */
    public record Entry(int group, String source, Chunk chunk, SourceFile file) implements Serializable {
    }

    /** The parts one machine writes: one per embedding group. */
    static List<IndexPart> groups(List<Ingest.FileRead> files) {
        return split(files, Integer.MAX_VALUE, false);
    }

    /**
     * The documents of {@code files} (read, new or changed) in at most {@code parts} parts of about equal
     * numbers of chunks, cut at embedding groups and encoder batches.
     */
    public static List<IndexPart> split(List<Ingest.FileRead> files, int parts) {
        return split(files, parts, true);
    }

    private static List<IndexPart> split(List<Ingest.FileRead> files, int parts, boolean atBatches) {
        List<Entry> entries = new ArrayList<>();
        List<Integer> cuts = new ArrayList<>(); // entry indices a part may start at
        int group = -1;
        int inGroup = 0;
        for (Ingest.FileRead f : files) {
            if (group < 0 || inGroup >= GROUP_CHUNKS) {
                group++;
                inGroup = 0;
                cuts.add(entries.size());
            }
            for (Chunk c : f.chunks()) {
                if (atBatches && inGroup > 0 && inGroup % KnowledgeEmbedder.BATCH == 0) {
                    cuts.add(entries.size());
                }
                entries.add(new Entry(group, f.path(), c, null));
                inGroup++;
            }
            entries.add(new Entry(group, f.path(), null, f.file()));
        }
        return cut(entries, cuts, parts);
    }

    /** Cuts {@code entries} at some of {@code cuts}: the next cut once a part holds its share of the chunks. */
    private static List<IndexPart> cut(List<Entry> entries, List<Integer> cuts, int parts) {
        long chunks = entries.stream().filter(e -> e.chunk() != null).count();
        List<IndexPart> out = new ArrayList<>();
        int from = 0;
        long chunksBefore = 0;
        int at = 0;
        for (int i = 1; i < cuts.size(); i++) {
            int cut = cuts.get(i);
            for (; at < cut; at++) {
                chunksBefore += entries.get(at).chunk() != null ? 1 : 0;
            }
            if (parts == Integer.MAX_VALUE || chunksBefore * parts >= chunks * (out.size() + 1)) {
                out.add(new IndexPart(List.copyOf(entries.subList(from, cut))));
                from = cut;
            }
        }
        if (from < entries.size()) {
            out.add(new IndexPart(List.copyOf(entries.subList(from, entries.size()))));
        }
        return out;
    }

    /** How many chunks the part holds. */
    public int chunks() {
        return (int) entries.stream().filter(e -> e.chunk() != null).count();
    }

    /** The part's chunk vectors, in order: each group's chunks embedded in one call, as one machine embeds them. */
    float[][] embed(Ingest.Embedding embedding) throws IOException {
        float[][] out = new float[chunks()][];
        int at = 0;
        int from = 0;
        while (from < entries.size()) {
            int group = entries.get(from).group();
            List<String> texts = new ArrayList<>();
            int to = from;
            for (; to < entries.size() && entries.get(to).group() == group; to++) {
                Chunk c = entries.get(to).chunk();
                if (c != null) {
                    texts.add(c.embeddedText());
                }
            }
            if (!texts.isEmpty()) {
                float[][] v = embedding.embed(texts);
                System.arraycopy(v, 0, out, at, v.length);
                at += v.length;
            }
            from = to;
        }
        return out;
    }

    /** Adds the part's documents to {@code w}: chunks with their {@code vectors}, files' records. */
    void addTo(IndexWriter w, float[][] vectors) throws IOException {
        int v = 0;
        for (Entry e : entries) {
            w.addDocument(e.chunk() != null ? IndexFields.chunk(e.source(), e.chunk(), vectors[v++]) : IndexFields.file(e.file()));
        }
    }

    /**
     * Embeds the part with {@code embedder} and writes it as a new index in {@code dir} (one commit): a shard
     * for {@link #addShards}.
     */
    public void writeShard(Path dir, KnowledgeEmbedder embedder) throws IOException {
        float[][] vectors = embed(texts -> embedder.embed(texts, n -> { }));
        Files.createDirectories(dir);
        IndexWriterConfig config = new IndexWriterConfig(IndexFields.analyzer()).setOpenMode(IndexWriterConfig.OpenMode.CREATE);
        try (Directory d = FSDirectory.open(dir); IndexWriter w = new IndexWriter(d, config)) {
            addTo(w, vectors);
            w.commit();
        }
    }

    /** Adds the shards in {@code dirs} whole to {@code w}, in order (not committed). */
    public static void addShards(IndexWriter w, List<Path> dirs) throws IOException {
        List<Directory> shards = new ArrayList<>();
        try {
            for (Path dir : dirs) {
                shards.add(FSDirectory.open(dir));
            }
            w.addIndexes(shards.toArray(Directory[]::new));
        } finally {
            for (Directory d : shards) {
                d.close();
            }
        }
    }
}
