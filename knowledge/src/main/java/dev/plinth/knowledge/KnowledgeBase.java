package dev.plinth.knowledge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.QueryBuilder;

/**
 * A knowledge base as its last commit left it, open for reading: its settings, files and chunks,
 * and search by BM25, by vectors, or both fused by reciprocal rank ({@value #RRF_K}). Readers never
 * see an ingest in progress, only the commit before it.
 *
 * <pre>
 * PLINTH_HOME/knowledge/NAME/
 *   index/                 the Lucene index (BM25 over the passages, HNSW vectors, one commit per ingest)
 *   last-ingest.txt        the report of the last ingest
 * </pre>
 */
public final class KnowledgeBase implements AutoCloseable {
    /** The constant of reciprocal rank fusion: a chunk scores Σ 1/(60 + rank) over the rankings it appears in. */
    public static final int RRF_K = 60;
    /** How many chunks each ranking gives to the fusion: the larger of this and k. */
    static final int FUSION_DEPTH = 100;
    static final String INDEX = "index";
    static final String REPORT = "last-ingest.txt";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private final Path folder;
    private final Directory directory;
    private final DirectoryReader reader;
    private final IndexSearcher searcher;
    private final KnowledgeSettings settings;
    private final Analyzer analyzer = IndexFields.analyzer();

    private KnowledgeBase(Path folder, Directory directory, DirectoryReader reader) throws IOException {
        this.folder = folder;
        this.directory = directory;
        this.reader = reader;
        this.searcher = new IndexSearcher(reader);
        this.settings = settingsOf(reader);
    }

    /** Where the knowledge bases of {@code home} (PLINTH_HOME) live. */
    public static Path root(Path home) {
        return home.resolve("knowledge");
    }

    /** The folder of knowledge base {@code name} under {@code home}; a malformed name is an {@link IllegalArgumentException}. */
    public static Path folder(Path home, String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a knowledge base name: lower-case letters, digits, '.', '_'"
                    + " and '-', starting with a letter or digit, at most 64");
        }
        return root(home).resolve(name);
    }

    /** Whether {@code folder} holds a committed index. */
    public static boolean exists(Path folder) throws IOException {
        Path index = folder.resolve(INDEX);
        if (!Files.isDirectory(index)) {
            return false;
        }
        try (Directory d = FSDirectory.open(index)) {
            return DirectoryReader.indexExists(d);
        }
    }

    /** The names of the knowledge bases under {@code home} that have a commit, sorted. */
    public static List<String> names(Path home) throws IOException {
        Path root = root(home);
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                if (NAME.matcher(n).matches() && exists(p)) {
                    names.add(n);
                }
            }
        }
        return names;
    }

    /** Opens the last commit of the index in {@code folder}. */
    public static KnowledgeBase open(Path folder) throws IOException {
        if (!exists(folder)) {
            throw new KnowledgeException("no knowledge base at " + folder + " (plinth knowledge create makes one)");
        }
        Directory d = FSDirectory.open(folder.resolve(INDEX));
        try {
            return new KnowledgeBase(folder, d, DirectoryReader.open(d));
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    static KnowledgeSettings settingsOf(DirectoryReader reader) throws IOException {
        String json = reader.getIndexCommit().getUserData().get(KnowledgeSettings.KEY);
        if (json == null) {
            throw new KnowledgeException(reader.directory() + ": a Lucene index without Plinth's knowledge settings");
        }
        return KnowledgeSettings.fromJson(json);
    }

    public Path folder() {
        return folder;
    }

    public KnowledgeSettings settings() {
        return settings;
    }

    /** The ingested files, by path. */
    public List<SourceFile> files() throws IOException {
        return new ArrayList<>(filesByPath().values());
    }

    Map<String, SourceFile> filesByPath() throws IOException {
        TopDocs top = searcher.search(new TermQuery(new Term(IndexFields.KIND, IndexFields.FILE)), Math.max(1, reader.maxDoc()));
        StoredFields stored = searcher.storedFields();
        Map<String, SourceFile> files = new HashMap<>();
        for (ScoreDoc sd : top.scoreDocs) {
            SourceFile f = IndexFields.sourceFile(stored.document(sd.doc));
            files.put(f.path(), f);
        }
        Map<String, SourceFile> sorted = new LinkedHashMap<>();
        files.keySet().stream().sorted().forEach(k -> sorted.put(k, files.get(k)));
        return sorted;
    }

    /** How many chunks the index holds. */
    public int chunks() throws IOException {
        return searcher.count(new TermQuery(new Term(IndexFields.KIND, IndexFields.CHUNK)));
    }

    /** The bytes of the committed index's files. */
    public long indexBytes() throws IOException {
        long total = 0;
        for (String f : reader.getIndexCommit().getFileNames()) {
            total += directory.fileLength(f);
        }
        return total;
    }

    /** The index's committed files (names within {@link #indexFolder}), as a layer packs them. */
    List<String> committedFiles() throws IOException {
        return List.copyOf(reader.getIndexCommit().getFileNames());
    }

    Path indexFolder() {
        return folder.resolve(INDEX);
    }

    /** The report of the last ingest, or null when there is none. */
    public String lastIngestReport() throws IOException {
        Path report = folder.resolve(REPORT);
        return Files.isRegularFile(report) ? Files.readString(report) : null;
    }

    /**
     * Refuses an embedder other than the one the index was built with.
     *
     * @throws EmbedderMismatchException naming both
     */
    public void requireEmbedder(KnowledgeEmbedder embedder) {
        if (!embedder.digest().equals(settings.embedderDigest())) {
            throw new EmbedderMismatchException("knowledge base '" + settings.name() + "' was built with the embedder "
                    + settings.embedder() + " (" + settings.embedderDigest() + "), not " + embedder.source() + " ("
                    + embedder.digest() + "): query it with the same embedder, or create it again with this one");
        }
    }

    /**
     * The {@code k} best chunks for {@code query}. The embedder (needed unless the mode is BM25) must be
     * the index's own; with {@link SearchMode#BM25} it may be null.
     */
    public List<Hit> search(KnowledgeEmbedder embedder, String query, int k, SearchMode mode) throws IOException {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, not " + k);
        }
        if (embedder != null) {
            requireEmbedder(embedder);
        } else if (mode != SearchMode.BM25) {
            throw new IllegalArgumentException(mode.label() + " search needs the embedder");
        }
        return switch (mode) {
            case BM25 -> bm25(query, k);
            case VECTOR -> vector(embedder.embed(query), k);
            case HYBRID -> fuse(List.of(bm25(query, Math.max(k, FUSION_DEPTH)),
                    vector(embedder.embed(query), Math.max(k, FUSION_DEPTH))), k);
        };
    }

    /**
     * The {@code k} chunks nearest to {@code target}, a query already embedded with the index's
     * embedder ({@link KnowledgeSettings#dimension} floats, unit length); scores are Lucene's
     * cosine relevance, {@code (1 + cos) / 2}.
     */
    public List<Hit> searchVector(float[] target, int k) throws IOException {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, not " + k);
        }
        if (target.length != settings.dimension()) {
            throw new IllegalArgumentException("the query vector has " + target.length + " dimensions; the index's embedder "
                    + "gives " + settings.dimension());
        }
        return vector(target, k);
    }

    List<Hit> bm25(String query, int k) throws IOException {
        Query q = new QueryBuilder(analyzer).createBooleanQuery(IndexFields.CONTENT, query, BooleanClause.Occur.SHOULD);
        return q == null ? List.of() : hits(searcher.search(q, k));
    }

    List<Hit> vector(float[] target, int k) throws IOException {
        return hits(searcher.search(new KnnFloatVectorQuery(IndexFields.VECTOR, target, k), k));
    }

    private List<Hit> hits(TopDocs top) throws IOException {
        StoredFields stored = searcher.storedFields();
        List<Hit> hits = new ArrayList<>();
        for (ScoreDoc sd : top.scoreDocs) {
            hits.add(IndexFields.hit(stored.document(sd.doc), hits.size() + 1, sd.score));
        }
        return hits;
    }

    /** Reciprocal rank fusion: each chunk scores Σ 1/(RRF_K + rank) over the rankings; ties keep first-seen order. */
    static List<Hit> fuse(List<List<Hit>> rankings, int k) {
        Map<String, Hit> byChunk = new LinkedHashMap<>();
        Map<String, Double> scores = new HashMap<>();
        for (List<Hit> ranking : rankings) {
            for (Hit h : ranking) {
                String key = h.path() + "\u0000" + h.documentId() + "\u0000" + h.firstLine() + "\u0000" + h.firstPage()
                        + "\u0000" + h.text().hashCode();
                byChunk.putIfAbsent(key, h);
                scores.merge(key, 1.0 / (RRF_K + h.rank()), Double::sum);
            }
        }
        List<String> order = new ArrayList<>(byChunk.keySet());
        order.sort((a, b) -> Double.compare(scores.get(b), scores.get(a)));
        List<Hit> fused = new ArrayList<>();
        for (String key : order.subList(0, Math.min(k, order.size()))) {
            fused.add(byChunk.get(key).withRank(fused.size() + 1, scores.get(key)));
        }
        return fused;
    }

    @Override
    public void close() throws IOException {
        try {
            reader.close();
        } finally {
            directory.close();
        }
    }
}
