package dev.plinth.train.corpus;

import dev.plinth.text.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Builds a corpus: reads the sources in order, normalises each document ({@link TextNormalizer}),
 * drops empty ones, exact duplicates (SHA-256 of the normalised text, across all sources) and near
 * duplicates ({@link NearDuplicates}), assigns each survivor to train or validation by its hash,
 * tokenizes batches in parallel, and writes {@code train-NNNNN.bin} / {@code validation-NNNNN.bin}
 * {@link TokenShard}s and a {@link DatasetCard} into the output folder. The decisions, shards and
 * card are {@link CorpusWriter}'s, which the Spark job drives the same way.
 */
public final class CorpusBuilder {

    /**
     * A progress report: the source being read; documents and (normalised UTF-8) bytes read so far,
     * over all sources; documents kept and ids written so far.
     */
    public record Progress(String source, long documentsRead, long bytesRead, long documentsKept, long tokensWritten) {
    }

    private final List<CorpusSource> sources = new ArrayList<>();
    private final Tokenizer tokenizer;
    private final String tokenizerName;
    private double validationFraction = 0.01;
    private long seed = 0;
    private int shardTokens = 1 << 24;
    private int threads = Runtime.getRuntime().availableProcessors();
    private int batchDocuments = 256;
    private Consumer<Progress> progress = p -> { };

    public CorpusBuilder(Tokenizer tokenizer, String tokenizerName) {
        this.tokenizer = Objects.requireNonNull(tokenizer);
        this.tokenizerName = Objects.requireNonNull(tokenizerName);
    }

    public CorpusBuilder add(CorpusSource source) {
        sources.add(source);
        return this;
    }

    public CorpusBuilder validationFraction(double f) {
        if (!(f >= 0 && f < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1): " + f);
        }
        validationFraction = f;
        return this;
    }

    public CorpusBuilder seed(long s) {
        seed = s;
        return this;
    }

    /** Ids per shard before a new one is started (a longer document gets a shard of its own). */
    public CorpusBuilder shardTokens(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("shard size must be positive");
        }
        shardTokens = n;
        return this;
    }

    public CorpusBuilder threads(int n) {
        threads = Math.max(1, n);
        return this;
    }

    public CorpusBuilder progress(Consumer<Progress> callback) {
        progress = Objects.requireNonNull(callback);
        return this;
    }

    /** Builds into {@code outDir} (created if needed) and returns the card it wrote. */
    public DatasetCard build(Path outDir) throws IOException {
        CorpusWriter writer = new CorpusWriter(outDir, tokenizer, tokenizerName, validationFraction, seed, shardTokens);
        NearDuplicates signatures = new NearDuplicates(writer.minHash());
        long[] read = new long[2]; // documents and bytes read, over all sources
        try (ForkJoinPool pool = new ForkJoinPool(threads)) {
            for (CorpusSource source : sources) {
                writer.startSource(source);
                List<Pending> batch = new ArrayList<>();
                source.forEach(doc -> {
                    String text = DocumentKey.normalize(doc.text());
                    DocumentKey key = DocumentKey.of(text);
                    read[0]++;
                    read[1] += key.bytes();
                    CorpusWriter.Placement placement = writer.admit(key, () -> signatures.signature(text));
                    if (placement == null) {
                        return;
                    }
                    batch.add(new Pending(text, placement));
                    if (batch.size() >= batchDocuments) {
                        flush(pool, batch, writer);
                        progress.accept(new Progress(source.name(), read[0], read[1], writer.documentsKept(), writer.tokensWritten()));
                    }
                });
                flush(pool, batch, writer);
                progress.accept(new Progress(source.name(), read[0], read[1], writer.documentsKept(), writer.tokensWritten()));
            }
        }
        return writer.finish();
    }

    /** The sources added, in order. */
    public List<CorpusSource> sources() {
        return List.copyOf(sources);
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public String tokenizerName() {
        return tokenizerName;
    }

    public double validationFraction() {
        return validationFraction;
    }

    public long seed() {
        return seed;
    }

    public int shardTokens() {
        return shardTokens;
    }

    private void flush(ForkJoinPool pool, List<Pending> batch, CorpusWriter writer) throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        int[][] ids;
        try {
            ids = pool.submit(() -> IntStream.range(0, batch.size()).parallel()
                    .mapToObj(i -> tokenizer.encode(batch.get(i).text(), false, false)).toArray(int[][]::new)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while tokenizing", e);
        } catch (ExecutionException e) {
            throw new IOException("tokenizing failed", e.getCause());
        }
        for (int i = 0; i < ids.length; i++) {
            writer.write(batch.get(i).placement(), ids[i]);
        }
        batch.clear();
    }

    private record Pending(String text, CorpusWriter.Placement placement) {
    }
}
