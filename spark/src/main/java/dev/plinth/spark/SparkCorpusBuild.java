package dev.plinth.spark;

import dev.plinth.cli.SourceSpec;
import dev.plinth.train.corpus.CorpusBuilder;
import dev.plinth.train.corpus.CorpusSource;
import dev.plinth.train.corpus.CorpusWriter;
import dev.plinth.train.corpus.DatasetCard;
import dev.plinth.train.corpus.DocumentKey;
import dev.plinth.train.corpus.NearDuplicates;
import org.apache.hadoop.fs.FileStatus;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * {@code plinth corpus build} as a Spark job, writing the same bytes as {@link CorpusBuilder#build}:
 * executors read the sources' parts (files and archives, on any Hadoop file system: {@link HadoopFiles}), normalise, hash, sign (MinHash) and
 * later tokenize in parallel; the driver streams the documents' keys in reading order through the
 * same {@link CorpusWriter} (exact and near duplicates, split, weights), then the kept documents' ids
 * into its shards and card.
 *
 * <p>The driver holds what the single-machine build holds (a hash per document, a signature per kept
 * one) and writes the shards itself: the cluster does the per-document work, which is most of it.
 */
final class SparkCorpusBuild {

    /** A normalised document and the index of its source. */
    record Text(int source, String text) implements Serializable {
    }

    /** What the driver decides a document by: its key, and its MinHash signature (null when empty). */
    record Screened(int source, DocumentKey key, int[] signature) implements Serializable {
    }

    private final JavaSparkContext sc;

    SparkCorpusBuild(JavaSparkContext sc) {
        this.sc = sc;
    }

    DatasetCard run(CorpusBuilder builder, List<SourceSpec> specs, Path tokenizer, Path output) throws IOException {
        HadoopFiles files = new HadoopFiles(sc);
        List<CorpusSource> sources = new ArrayList<>();
        List<SourcePart> parts = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            sources.add(listParts(i, specs.get(i), files, parts));
        }
        LongAccumulator documents = sc.sc().longAccumulator("corpus: documents read");
        LongAccumulator bytes = sc.sc().longAccumulator("corpus: bytes read (normalised UTF-8)");
        LongAccumulator dropped = sc.sc().longAccumulator("corpus: duplicates and empty documents removed");
        LongAccumulator tokens = sc.sc().longAccumulator("corpus: tokens of the kept documents (eos included, before weighting)");

        JavaPairRDD<Long, Text> texts = readInOrder(parts, files, documents);
        CorpusWriter writer = new CorpusWriter(output, builder.tokenizer(), builder.tokenizerName(),
                builder.validationFraction(), builder.seed(), builder.shardTokens());
        NearDuplicates.Parameters minHash = writer.minHash();
        // counted by the tasks, not the driver: the Spark UI shows only what tasks add to an accumulator
        JavaPairRDD<Long, Screened> screened = texts.mapValues(t -> {
            Screened s = screen(t, minHash);
            bytes.add(s.key().bytes());
            return s;
        }).persist(StorageLevel.MEMORY_AND_DISK());
        describe("corpus: hash and MinHash-sign " + parts.size() + " part(s) of " + sources.size() + " source(s)");
        screened.count();

        describe("corpus: exact and near duplicates, split and weights (driver, in reading order)");
        List<Long> kept = new ArrayList<>();
        List<CorpusWriter.Placement> placements = new ArrayList<>();
        Iterator<Tuple2<Long, Screened>> it = screened.toLocalIterator();
        Tuple2<Long, Screened> next = it.hasNext() ? it.next() : null;
        for (int s = 0; s < sources.size(); s++) {
            writer.startSource(sources.get(s));
            for (; next != null && next._2.source() == s; next = it.hasNext() ? it.next() : null) {
                Screened doc = next._2;
                CorpusWriter.Placement placement = writer.admit(doc.key(), doc::signature);
                if (placement != null) {
                    kept.add(next._1);
                    placements.add(placement);
                }
            }
        }
        screened.unpersist(false);

        Broadcast<long[]> keptIndices = sc.broadcast(kept.stream().mapToLong(Long::longValue).toArray());
        String tokenizerPath = tokenizer.toAbsolutePath().toString();
        JavaRDD<int[]> ids = texts.filter(t -> {
                    boolean keep = Arrays.binarySearch(keptIndices.value(), t._1) >= 0;
                    dropped.add(keep ? 0 : 1);
                    return keep;
                })
                .map(t -> {
                    int[] encoded = ExecutorCache.tokenizer(tokenizerPath).encode(t._2.text(), false, false);
                    tokens.add(encoded.length + 1L);
                    return encoded;
                }).persist(StorageLevel.MEMORY_AND_DISK());
        describe("corpus: tokenize " + kept.size() + " kept document(s)");
        ids.count();
        describe("corpus: write shards and card (driver, in reading order)");
        Iterator<int[]> idsInOrder = ids.toLocalIterator();
        for (CorpusWriter.Placement placement : placements) {
            writer.write(placement, idsInOrder.next());
        }
        ids.unpersist(false);
        texts.unpersist(false);
        keptIndices.destroy();
        return writer.finish();
    }

    /**
     * Adds the parts of source {@code index} (its files, in the order {@code plinth corpus build} reads a local
     * folder's) to {@code parts}; returns the source, its path standing for the location, for the card.
     */
    private static CorpusSource listParts(int index, SourceSpec spec, HadoopFiles files, List<SourcePart> parts)
            throws IOException {
        FileStatus root = files.status(spec.location());
        CorpusSource source = spec.source(HadoopFiles.standIn(root.getPath()), root.isDirectory());
        for (FileStatus file : files.files(root)) {
            CorpusSource part = source instanceof CorpusSource.Auto auto ? auto.of(HadoopFiles.standIn(file.getPath()), false) : source;
            if (part != null) {
                parts.add(SourcePart.of(index, part, file.getPath().toUri().toString()));
            }
        }
        return source;
    }

    /**
     * Every document of every part, normalised, keyed by its position in reading order and range-partitioned
     * by it: partition after partition, the documents come in the order {@code plinth corpus build} reads them.
     */
    private JavaPairRDD<Long, Text> readInOrder(List<SourcePart> parts, HadoopFiles files, LongAccumulator documents) {
        JavaRDD<Text> read = sc.parallelize(parts, Math.max(1, parts.size())).flatMap(part -> {
            List<Text> out = new ArrayList<>();
            part.forEach(files, d -> out.add(new Text(part.source(), DocumentKey.normalize(d.text()))));
            documents.add(out.size());
            return out.iterator();
        }).persist(StorageLevel.MEMORY_AND_DISK());
        describe("corpus: read and normalise " + parts.size() + " part(s)");
        JavaPairRDD<Long, Text> indexed = read.zipWithIndex().mapToPair(Tuple2::swap);
        JavaPairRDD<Long, Text> spread = indexed.sortByKey(true, Math.max(1, 2 * sc.defaultParallelism()))
                .persist(StorageLevel.MEMORY_AND_DISK());
        describe("corpus: spread documents over the executors in reading order");
        spread.count();
        read.unpersist(false);
        return spread;
    }

    private static Screened screen(Text t, NearDuplicates.Parameters minHash) {
        DocumentKey key = DocumentKey.of(t.text());
        int[] signature = key.isEmpty() ? null : ExecutorCache.signer(minHash).signature(t.text());
        return new Screened(t.source(), key, signature);
    }

    private void describe(String what) {
        sc.setJobDescription(what);
    }
}
