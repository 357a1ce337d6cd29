package dev.plinth.spark;

import dev.plinth.knowledge.KnowledgeEmbedder;
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
 * Chunk vectors for {@code plinth knowledge create} computed on the executors: the texts in slices of
 * whole encoder batches ({@link KnowledgeEmbedder#BATCH}), so each executor's embedder (opened once per
 * JVM from the same source) encodes exactly the batches one machine would, and the vectors are the same.
 */
final class SparkEmbedding {

    private static final Map<String, KnowledgeEmbedder> EMBEDDERS = new ConcurrentHashMap<>();

    private final JavaSparkContext sc;
    private final LongAccumulator chunks;

    SparkEmbedding(JavaSparkContext sc) {
        this.sc = sc;
        this.chunks = sc.sc().longAccumulator("knowledge: chunks embedded");
    }

    float[][] embed(KnowledgeEmbedder embedder, Path home, List<String> texts) {
        int batches = (texts.size() + KnowledgeEmbedder.BATCH - 1) / KnowledgeEmbedder.BATCH;
        int parts = Math.max(1, Math.min(batches, sc.defaultParallelism()));
        int perPart = (batches + parts - 1) / parts * KnowledgeEmbedder.BATCH;
        List<List<String>> slices = new ArrayList<>();
        for (int from = 0; from < texts.size(); from += perPart) {
            slices.add(new ArrayList<>(texts.subList(from, Math.min(texts.size(), from + perPart))));
        }
        String source = embedder.source();
        String homePath = home.toAbsolutePath().toString();
        LongAccumulator done = chunks;
        sc.setJobDescription("knowledge: embed " + texts.size() + " chunk(s) in " + slices.size() + " slice(s)");
        List<float[][]> vectors = sc.parallelize(slices, Math.max(1, slices.size())).map(slice -> {
            float[][] v = embedderOnThisExecutor(source, homePath).embed(slice, n -> { });
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
