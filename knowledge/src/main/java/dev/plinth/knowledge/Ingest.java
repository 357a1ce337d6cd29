package dev.plinth.knowledge;

import dev.plinth.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.LockObtainFailedException;

/**
 * Builds and updates a knowledge base: reads the files (by content type), chunks and embeds what
 * is new or changed, drops what was deleted, and commits the index once, at the end, with its
 * settings. Until that commit readers see the previous state, and a process killed midway leaves
 * it as it was. Files whose SHA-256 is unchanged are not read again; one that cannot be read is
 * skipped and named in the report.
 *
 * <pre>{@code
 * try (KnowledgeEmbedder e = KnowledgeEmbedder.openDefault(home)) {
 *     IngestReport r = Ingest.create(KnowledgeBase.folder(home, "policies"), "policies", List.of(docs), Ingest.Options.DEFAULT, e, Ingest.Listener.NONE);
 * }
 * }</pre>
 */
public final class Ingest {

    /** How a new knowledge base reads and chunks its files. */
    public record Options(int chunkTokens, int overlap, String idField, String textField, long maxBytes) {
        public static final Options DEFAULT = new Options(Chunker.DEFAULT_TOKENS, Chunker.DEFAULT_OVERLAP,
                DocumentReader.Options.DEFAULT.idField(), DocumentReader.Options.DEFAULT.textField(),
                DocumentReader.Options.DEFAULT.maxBytes());
    }

    /** Hears an ingest's progress. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        /** The files have been read and chunked; {@code chunks} are to be embedded. */
        default void chunked(int files, int chunks) {
        }

        /** {@code done} of {@code total} chunks are embedded and written (not yet committed). */
        default void embedded(long done, long total) {
        }
    }

    /**
     * The per-file and per-chunk work of an ingest: {@link #local here}, or on workers elsewhere that open the
     * same embedder, read files with {@link #readFile} and write {@link IndexPart}s as index shards.
     */
    public interface Work {
        /** Each file read and chunked with {@link #readFile} (unless its SHA-256 is still {@link NewFile#oldSha256()}), in order. */
        List<FileRead> read(List<NewFile> files, KnowledgeSettings settings) throws IOException;

        /**
         * Embeds the chunks of {@code files} (read, new or changed, their older documents deleted) and adds their
         * documents to {@code w} in the order given; {@code embedded} hears how many chunks are written so far.
         */
        void write(List<FileRead> files, IndexWriter w, LongConsumer embedded) throws IOException;

        /** The file system the files are on. */
        default IngestFiles files() {
            return IngestFiles.LOCAL;
        }

        /** The work done here, with {@code embedder}. */
        static Work local(KnowledgeEmbedder embedder) {
            return new LocalWork(embedder, Integer.MAX_VALUE);
        }
    }

    /** Embeds chunk texts, in order. */
    @FunctionalInterface
    interface Embedding {
        float[][] embed(List<String> texts) throws IOException;
    }

    /** Files read here and written group after group, index segments flushed to disk every {@code flushEvery} chunks. */
    private record LocalWork(KnowledgeEmbedder embedder, int flushEvery) implements Work {
        @Override
        public List<FileRead> read(List<NewFile> files, KnowledgeSettings settings) {
            Chunker chunker = new Chunker(embedder::tokens, settings.chunkTokens(), settings.overlap());
            return files.stream().map(f -> readFile(f, settings, chunker, IngestFiles.LOCAL)).toList();
        }

        @Override
        public void write(List<FileRead> files, IndexWriter w, LongConsumer embedded) throws IOException {
            long done = 0;
            long sinceFlush = 0;
            for (IndexPart group : IndexPart.groups(files)) {
                group.addTo(w, group.embed(texts -> embedder.embed(texts, n -> { })));
                done += group.chunks();
                sinceFlush += group.chunks();
                if (sinceFlush >= flushEvery) {
                    w.flush();
                    sinceFlush = 0;
                }
                embedded.accept(done);
            }
        }
    }

    /**
     * A file to ingest: its absolute path, its document id, its title if it is one document, and the SHA-256 it
     * had when last ingested (null when it is new).
     */
    public record NewFile(String path, String id, String title, String oldSha256) implements java.io.Serializable {
    }

    /**
     * What reading a file gave: its hash, time and size; when it changed, its record and chunks and the
     * warnings about single records; when it cannot be ingested, why ({@code skipped}).
     */
    public record FileRead(String path, String sha256, long modified, long size, SourceFile file, List<Chunk> chunks,
                           List<String> warnings, String skipped) implements java.io.Serializable {

        boolean unchanged() {
            return file == null && skipped == null;
        }
    }

    private final Path folder;
    private final Work work;
    private final Listener listener;
    private final IngestReport report = new IngestReport();

    private Ingest(Path folder, Work work, Listener listener) {
        this.folder = folder;
        this.work = work;
        this.listener = listener;
    }

    /** Creates knowledge base {@code name} in {@code folder} from {@code roots} (files and folders). */
    public static IngestReport create(Path folder, String name, List<Path> roots, Options options,
                                      KnowledgeEmbedder embedder, Listener listener) throws IOException {
        return create(folder, name, locations(roots), options, embedder, Work.local(embedder), listener);
    }

    /** As {@link #create}, writing index segments to disk (uncommitted) every {@code flushEvery} chunks. */
    static IngestReport create(Path folder, String name, List<Path> roots, Options options, KnowledgeEmbedder embedder,
                               Listener listener, int flushEvery) throws IOException {
        return create(folder, name, locations(roots), options, embedder, new LocalWork(embedder, flushEvery), listener);
    }

    /**
     * As {@link #create(Path, String, List, Options, KnowledgeEmbedder, Listener)}, the files read, chunks embedded
     * and documents written by {@code work}, from {@code roots}: paths, or URIs where its {@link Work#files()} reads them.
     */
    public static IngestReport create(Path folder, String name, List<String> roots, Options options,
                                      KnowledgeEmbedder embedder, Work work, Listener listener) throws IOException {
        if (KnowledgeBase.exists(folder)) {
            throw new KnowledgeException("knowledge base '" + name + "' exists; plinth knowledge add " + name
                    + " PATH... adds to it or ingests changed files again");
        }
        new Chunker(embedder::tokens, options.chunkTokens(), options.overlap()); // checks the budget before any work
        if (options.chunkTokens() > embedder.maxTokens()) {
            throw new IllegalArgumentException("a chunk budget of " + options.chunkTokens() + " tokens is more than the"
                    + " embedder reads (" + embedder.maxTokens() + ")");
        }
        List<String> absolute = roots.stream().map(work.files()::absolute).distinct().toList();
        KnowledgeSettings settings = new KnowledgeSettings(name, embedder.source(), embedder.digest(), embedder.dimension(),
                options.chunkTokens(), options.overlap(), options.idField(), options.textField(), options.maxBytes(),
                absolute);
        return new Ingest(folder, work, listener).run(settings, absolute, Map.of(), true);
    }

    /**
     * Ingests {@code paths} again into an existing knowledge base (all its roots when empty): new
     * and changed files are embedded, deleted ones dropped, unchanged ones left as they are.
     *
     * @throws EmbedderMismatchException when {@code embedder} is not the one the index was built with
     */
    public static IngestReport add(Path folder, List<Path> paths, KnowledgeEmbedder embedder, Listener listener)
            throws IOException {
        return add(folder, locations(paths), embedder, Work.local(embedder), listener);
    }

    static IngestReport add(Path folder, List<Path> paths, KnowledgeEmbedder embedder, Listener listener, int flushEvery)
            throws IOException {
        return add(folder, locations(paths), embedder, new LocalWork(embedder, flushEvery), listener);
    }

    /**
     * As {@link #add(Path, List, KnowledgeEmbedder, Listener)}, the files read, chunks embedded and documents written
     * by {@code work}, from {@code paths}: paths, or URIs where its {@link Work#files()} reads them.
     */
    public static IngestReport add(Path folder, List<String> paths, KnowledgeEmbedder embedder, Work work, Listener listener)
            throws IOException {
        KnowledgeSettings settings;
        Map<String, SourceFile> existing;
        try (KnowledgeBase kb = KnowledgeBase.open(folder)) {
            kb.requireEmbedder(embedder);
            settings = kb.settings();
            existing = kb.filesByPath();
        }
        List<String> scan = paths.isEmpty() ? settings.roots() : paths.stream().map(work.files()::absolute).toList();
        List<String> roots = new ArrayList<>(settings.roots());
        for (String p : scan) {
            if (rootOf(p, roots) == null) {
                roots.add(p);
            }
        }
        return new Ingest(folder, work, listener).run(settings.withRoots(roots), scan, existing, false);
    }

    /** Drops the files at or below {@code paths} (and any roots there) from the knowledge base. */
    public static IngestReport remove(Path folder, List<Path> paths) throws IOException {
        long start = System.nanoTime();
        IngestReport report = new IngestReport();
        KnowledgeSettings settings;
        Map<String, SourceFile> existing;
        try (KnowledgeBase kb = KnowledgeBase.open(folder)) {
            settings = kb.settings();
            existing = kb.filesByPath();
        }
        List<String> targets = locations(paths);
        List<String> roots = settings.roots().stream().filter(r -> targets.stream().noneMatch(t -> isAtOrBelow(r, t))).toList();
        try (Directory d = FSDirectory.open(folder.resolve(KnowledgeBase.INDEX)); IndexWriter w = writer(d, false, settings)) {
            for (String path : existing.keySet()) {
                if (targets.stream().anyMatch(t -> isAtOrBelow(path, t))) {
                    w.deleteDocuments(new Term(IndexFields.SOURCE, path));
                    report.removed(path);
                }
            }
            commit(w, settings.withRoots(roots));
        }
        report.seconds((System.nanoTime() - start) / 1e9);
        writeReport(folder, report);
        return report;
    }

    /** A file to read, its id and title if it is one document. */
    private record Candidate(String file, String id, String title) {
    }

    private IngestReport run(KnowledgeSettings settings, List<String> scan, Map<String, SourceFile> existing, boolean create)
            throws IOException {
        long start = System.nanoTime();
        Files.createDirectories(folder);
        try (Directory d = FSDirectory.open(folder.resolve(KnowledgeBase.INDEX)); IndexWriter w = writer(d, create, settings)) {
            List<NewFile> files = new ArrayList<>();
            for (Candidate c : candidates(scan, settings.roots(), work.files())) {
                SourceFile old = existing.get(c.file());
                files.add(new NewFile(c.file(), c.id(), c.title(), old == null ? null : old.sha256()));
            }
            List<FileRead> changed = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (FileRead r : work.read(files, settings)) {
                seen.add(r.path());
                if (record(r, existing.get(r.path()), w)) {
                    changed.add(r);
                }
            }
            for (String path : existing.keySet()) {
                if (!seen.contains(path) && scan.stream().anyMatch(p -> isAtOrBelow(path, p))) {
                    w.deleteDocuments(new Term(IndexFields.SOURCE, path));
                    report.removed(path);
                }
            }
            for (FileRead r : changed) {
                w.deleteDocuments(new Term(IndexFields.SOURCE, r.path()));
            }
            long total = changed.stream().mapToLong(r -> r.chunks().size()).sum();
            listener.chunked(changed.size(), (int) total);
            work.write(changed, w, done -> listener.embedded(done, total));
            commit(w, settings);
        }
        report.seconds((System.nanoTime() - start) / 1e9);
        writeReport(folder, report);
        return report;
    }

    /**
     * Reads and chunks one file unless its SHA-256 is {@link NewFile#oldSha256()} (then only its hash, time and size):
     * a function of the file alone, which other threads or machines can run.
     */
    public static FileRead readFile(NewFile f, KnowledgeSettings settings, Chunker chunker, IngestFiles files) {
        try {
            IngestFiles.Attributes attrs = files.attributes(f.path());
            if (attrs.size() > settings.maxBytes()) {
                throw new UnreadableFileException("over the size limit (" + attrs.size() + " bytes, at most "
                        + settings.maxBytes() + ")");
            }
            byte[] bytes = files.read(f.path());
            String sha = DocumentReader.sha256(bytes);
            long modified = attrs.modified();
            if (sha.equals(f.oldSha256())) {
                return new FileRead(f.path(), sha, modified, bytes.length, null, List.of(), List.of(), null);
            }
            DocumentReader.Result result = DocumentReader.read(bytes, f.id(), f.title(), settings.readerOptions());
            List<Chunk> chunks = new ArrayList<>();
            for (Document doc : result.documents()) {
                chunks.addAll(chunker.chunk(doc));
            }
            SourceFile record = new SourceFile(f.path(), sha, modified, bytes.length, result.type().mediaType(),
                    result.documents().size(), chunks.size());
            return new FileRead(f.path(), sha, modified, bytes.length, record, chunks, List.copyOf(result.warnings()), null);
        } catch (IOException e) {
            return new FileRead(f.path(), null, 0, 0, null, List.of(), List.of(),
                    e instanceof UnreadableFileException ? e.getMessage() : "cannot be read: " + e);
        }
    }

    /** Reports what reading a file gave; whether it is to be embedded and written (not unchanged, not skipped). */
    private boolean record(FileRead r, SourceFile old, IndexWriter w) throws IOException {
        String path = r.path();
        if (r.skipped() != null) {
            report.skipped(path, r.skipped());
            if (old != null) {
                w.deleteDocuments(new Term(IndexFields.SOURCE, path));
                report.removed(path);
            }
            return false;
        }
        if (r.unchanged()) {
            report.countUnchanged();
            if (old.modified() != r.modified()) {
                w.deleteDocuments(fileRecord(path));
                w.addDocument(IndexFields.file(new SourceFile(path, r.sha256(), r.modified(), r.size(), old.type(),
                        old.documents(), old.chunks())));
            }
            return false;
        }
        r.warnings().forEach(m -> report.warning(path, m));
        report.add(path, old == null, r.file().documents(), r.chunks().size());
        return true;
    }

    private static IndexWriter writer(Directory d, boolean create, KnowledgeSettings settings) throws IOException {
        IndexWriterConfig config = new IndexWriterConfig(IndexFields.analyzer())
                .setOpenMode(create ? IndexWriterConfig.OpenMode.CREATE : IndexWriterConfig.OpenMode.APPEND)
                .setCommitOnClose(false);
        try {
            return new IndexWriter(d, config);
        } catch (LockObtainFailedException e) {
            throw new KnowledgeException("knowledge base '" + settings.name() + "' is being changed by another process", e);
        }
    }

    private static void commit(IndexWriter w, KnowledgeSettings settings) throws IOException {
        w.setLiveCommitData(Map.of(KnowledgeSettings.KEY, settings.toJson()).entrySet());
        w.commit();
    }

    private static BooleanQuery fileRecord(String path) {
        return new BooleanQuery.Builder()
                .add(new TermQuery(new Term(IndexFields.KIND, IndexFields.FILE)), BooleanClause.Occur.FILTER)
                .add(new TermQuery(new Term(IndexFields.SOURCE, path)), BooleanClause.Occur.FILTER)
                .build();
    }

    /** Every regular, non-hidden file at or below {@code scan}, in path order, with its document id. */
    private static List<Candidate> candidates(List<String> scan, List<String> roots, IngestFiles files) throws IOException {
        Map<String, Candidate> found = new LinkedHashMap<>();
        for (String p : scan) {
            List<String> below = files.files(p).stream().filter(f -> !hidden(p, f)).sorted(Comparator.comparing(Path::of)).toList();
            for (String f : below) {
                Path file = Path.of(f);
                String root = rootOf(f, roots);
                found.putIfAbsent(f, new Candidate(f, documentId(file, root == null ? null : Path.of(root)),
                        file.getFileName().toString()));
            }
        }
        return List.copyOf(found.values());
    }

    private static boolean hidden(String root, String file) {
        for (Path part : Path.of(root).relativize(Path.of(file))) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /** A file's id: its path below the folder it was found in, that folder's name first; a file given alone: its name. */
    static String documentId(Path file, Path root) {
        if (root == null || root.equals(file) || root.getFileName() == null) {
            return file.getFileName().toString();
        }
        return (root.getFileName() + "/" + root.relativize(file)).replace('\\', '/');
    }

    /** The recorded root at or above {@code p} (the deepest), or null. */
    private static String rootOf(String p, List<String> roots) {
        String best = null;
        for (String r : roots) {
            if (isAtOrBelow(p, r) && (best == null || r.length() > best.length())) {
                best = r;
            }
        }
        return best;
    }

    private static boolean isAtOrBelow(String path, String folder) {
        return path.equals(folder) || path.startsWith(folder.endsWith("/") ? folder : folder + "/");
    }

    /** Paths as locations: absolute and normalised. */
    private static List<String> locations(List<Path> paths) {
        return paths.stream().map(p -> p.toAbsolutePath().normalize().toString()).toList();
    }

    private static void writeReport(Path folder, IngestReport report) throws IOException {
        byte[] text = report.toText().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(folder.resolve(KnowledgeBase.REPORT), ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(text)));
    }
}
