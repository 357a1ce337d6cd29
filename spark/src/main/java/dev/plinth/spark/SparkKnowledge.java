package dev.plinth.spark;

import dev.plinth.knowledge.Chunker;
import dev.plinth.knowledge.Ingest;
import dev.plinth.knowledge.KnowledgeEmbedder;
import dev.plinth.knowledge.KnowledgeSettings;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-file and per-chunk work of {@code plinth knowledge create} on the executors: files read and
 * chunked by {@link Ingest#readFile} in consecutive slices, and chunk texts embedded in slices of whole
 * encoder batches ({@link KnowledgeEmbedder#BATCH}), so each executor's embedder (opened once per JVM
 * from the same source) encodes exactly the batches one machine would and the vectors are the same.
 * The driver keeps the index: it writes the files' records and chunks in the order one machine does.
 */
final class SparkKnowledge implements Ingest.Work {

    private static final Map<String, KnowledgeEmbedder> EMBEDDERS = new ConcurrentHashMap<>();

    private final JavaSparkContext sc;
    private final String source;
    private final String home;
    private final LongAccumulator files;
    private final LongAccumulator chunks;

    SparkKnowledge(JavaSparkContext sc, KnowledgeEmbedder embedder, Path home) {
        this.sc = sc;
        this.source = embedder.source();
        this.home = home.toAbsolutePath().toString();
        this.files = sc.sc().longAccumulator("knowledge: files read and chunked");
        this.chunks = sc.sc().longAccumulator("knowledge: chunks embedded");
    }

    @Override
    public List<Ingest.FileRead> read(List<Ingest.NewFile> newFiles, KnowledgeSettings settings) {
        int parts = Math.max(1, Math.min(newFiles.size(), 2 * sc.defaultParallelism()));
        List<List<Ingest.NewFile>> slices = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            slices.add(new ArrayList<>(newFiles.subList(newFiles.size() * p / parts, newFiles.size() * (p + 1) / parts)));
        }
        String embedderSource = source;
        String plinthHome = home;
        LongAccumulator done = files;
        sc.setJobDescription("knowledge: read and chunk " + newFiles.size() + " file(s) in " + parts + " slice(s)");
        List<List<Ingest.FileRead>> read = sc.parallelize(slices, parts).map(slice -> {
            KnowledgeEmbedder embedder = embedderOnThisExecutor(embedderSource, plinthHome);
            Chunker chunker = new Chunker(embedder::tokens, settings.chunkTokens(), settings.overlap());
            List<Ingest.FileRead> out = new ArrayList<>();
            for (Ingest.NewFile f : slice) {
                out.add(Ingest.readFile(f, null, settings, chunker));
            }
            done.add(out.size());
            return out;
        }).collect();
        List<Ingest.FileRead> all = new ArrayList<>(newFiles.size());
        read.forEach(all::addAll);
        return all;
    }

    @Override
    public float[][] embed(List<String> texts) {
        int batches = (texts.size() + KnowledgeEmbedder.BATCH - 1) / KnowledgeEmbedder.BATCH;
        int parts = Math.max(1, Math.min(batches, sc.defaultParallelism()));
        int perPart = (batches + parts - 1) / parts * KnowledgeEmbedder.BATCH;
        List<List<String>> slices = new ArrayList<>();
        for (int from = 0; from < texts.size(); from += perPart) {
            slices.add(new ArrayList<>(texts.subList(from, Math.min(texts.size(), from + perPart))));
        }
        String embedderSource = source;
        String plinthHome = home;
        LongAccumulator done = chunks;
        sc.setJobDescription("knowledge: embed " + texts.size() + " chunk(s) in " + slices.size() + " slice(s)");
        List<float[][]> vectors = sc.parallelize(slices, Math.max(1, slices.size())).map(slice -> {
            float[][] v = embedderOnThisExecutor(embedderSource, plinthHome).embed(slice, n -> { });
            done.add(slice.size());
            return v;
        }).collect();
        float[][] out = new float[texts.size()][];
        int at = 0;
        for (float[][] v : vectors) {
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return out;
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
