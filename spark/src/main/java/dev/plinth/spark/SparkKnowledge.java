package dev.plinth.spark;

import dev.plinth.io.AtomicFiles;
import dev.plinth.knowledge.Chunker;
import dev.plinth.knowledge.IndexPart;
import dev.plinth.knowledge.Ingest;
import dev.plinth.knowledge.IngestFiles;
import dev.plinth.knowledge.KnowledgeBase;
import dev.plinth.knowledge.KnowledgeEmbedder;
import dev.plinth.knowledge.KnowledgeSettings;
import org.apache.lucene.index.IndexWriter;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * The per-file and per-chunk work of {@code plinth knowledge create} and {@code knowledge add} on the executors:
 * files (on any Hadoop file system: {@link HadoopIngestFiles}) read and chunked by {@link Ingest#readFile} in
 * consecutive slices; then the documents to write split into
 * {@link IndexPart}s, each embedded and written by an executor as a Lucene index shard in a staging folder, and
 * the shards added whole, in order, to the knowledge base's index by the driver, which commits it. The staging
 * folder ({@value #STAGING_KEY}, default {@code PLINTH_HOME/knowledge/.staging}) must be one the driver and every
 * executor see at the same path, as {@code PLINTH_HOME} must be.
 */
final class SparkKnowledge implements Ingest.Work {

    /** The Spark setting naming the folder the executors write index shards in. */
    static final String STAGING_KEY = "spark.plinth.knowledge.staging";

    private static final Map<String, KnowledgeEmbedder> EMBEDDERS = new ConcurrentHashMap<>();

    /** An index part and the folder an executor writes it to. */
    record Shard(IndexPart part, String dir) implements Serializable {
    }

    private final JavaSparkContext sc;
    private final String source;
    private final String home;
    private final Path staging;
    private final HadoopIngestFiles hadoopFiles;
    private final LongAccumulator files;
    private final LongAccumulator chunks;

    SparkKnowledge(JavaSparkContext sc, KnowledgeEmbedder embedder, Path home) {
        this.sc = sc;
        this.source = embedder.source();
        this.home = home.toAbsolutePath().toString();
        this.staging = Path.of(sc.getConf().get(STAGING_KEY, KnowledgeBase.root(home).resolve(".staging").toString()))
                .toAbsolutePath();
        this.hadoopFiles = new HadoopIngestFiles(new HadoopFiles(sc));
        this.files = sc.sc().longAccumulator("knowledge: files read and chunked");
        this.chunks = sc.sc().longAccumulator("knowledge: chunks embedded");
    }

    @Override
    public List<Ingest.FileRead> read(List<Ingest.NewFile> newFiles, KnowledgeSettings settings) {
        if (newFiles.isEmpty()) {
            return List.of();
        }
        int parts = Math.max(1, Math.min(newFiles.size(), 2 * sc.defaultParallelism()));
        List<List<Ingest.NewFile>> slices = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            slices.add(new ArrayList<>(newFiles.subList(newFiles.size() * p / parts, newFiles.size() * (p + 1) / parts)));
        }
        String embedderSource = source;
        String plinthHome = home;
        LongAccumulator done = files;
        IngestFiles fileSystem = hadoopFiles;
        sc.setJobDescription("knowledge: read and chunk " + newFiles.size() + " file(s) in " + parts + " slice(s)");
        List<List<Ingest.FileRead>> read = sc.parallelize(slices, parts).map(slice -> {
            KnowledgeEmbedder embedder = embedderOnThisExecutor(embedderSource, plinthHome);
            Chunker chunker = new Chunker(embedder::tokens, settings.chunkTokens(), settings.overlap());
            List<Ingest.FileRead> out = new ArrayList<>();
            for (Ingest.NewFile f : slice) {
                out.add(Ingest.readFile(f, settings, chunker, fileSystem));
            }
            done.add(out.size());
            return out;
        }).collect();
        List<Ingest.FileRead> all = new ArrayList<>(newFiles.size());
        read.forEach(all::addAll);
        return all;
    }

    @Override
    public IngestFiles files() {
        return hadoopFiles;
    }

    @Override
    public void write(List<Ingest.FileRead> changed, IndexWriter w, LongConsumer embedded) throws IOException {
        if (changed.isEmpty()) {
            return;
        }
        List<IndexPart> parts = IndexPart.split(changed, 2 * sc.defaultParallelism());
        Path folder = staging.resolve(UUID.randomUUID().toString());
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            shards.add(new Shard(parts.get(i), folder.resolve(String.format("shard-%05d", i)).toString()));
        }
        int total = parts.stream().mapToInt(IndexPart::chunks).sum();
        String embedderSource = source;
        String plinthHome = home;
        LongAccumulator done = chunks;
        sc.setJobDescription("knowledge: embed " + total + " chunk(s) and write " + shards.size() + " index shard(s)");
        try {
            List<String> written = sc.parallelize(shards, shards.size()).map(shard -> {
                shard.part().writeShard(Path.of(shard.dir()), embedderOnThisExecutor(embedderSource, plinthHome));
                done.add(shard.part().chunks());
                return shard.dir();
            }).collect();
            sc.setJobDescription(null);
            IndexPart.addShards(w, written.stream().map(Path::of).toList());
            embedded.accept(total);
        } finally {
            AtomicFiles.deleteTree(folder);
        }
    }

    private static KnowledgeEmbedder embedderOnThisExecutor(String source, String home) {
        return EMBEDDERS.computeIfAbsent(source + "\n" + home, k -> {
            try {
                return KnowledgeEmbedder.open(source, Path.of(home));
            } catch (IOException e) {
                throw new UncheckedIOException(source + ": cannot open the embedder on this executor", e);
            }
        });
    }
}
