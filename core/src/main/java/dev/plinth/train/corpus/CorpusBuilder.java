package dev.plinth.train.corpus;

import dev.plinth.text.Tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Builds a corpus: reads the sources in order, normalises each document ({@link TextNormalizer}),
 * drops empty ones, exact duplicates (SHA-256 of the normalised text, across all sources) and near
 * duplicates ({@link NearDuplicates}), assigns each survivor to train or validation by its hash,
 * tokenizes batches in parallel, and writes {@code train-NNNNN.bin} / {@code validation-NNNNN.bin}
 * {@link TokenShard}s and a {@link DatasetCard} into the output folder.
 *
 * <p>The split is a function of the document text and the seed only: a document whose hash maps
 * below {@code validationFraction} is held out wherever and whenever it appears. Training documents
 * are written {@code floor(weight)} times plus once more with probability {@code frac(weight)}
 * (decided by another part of the same hash); validation documents are written once.
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
        Files.createDirectories(outDir);
        Set<HashKey> seen = new HashSet<>();
        NearDuplicates.Parameters minHash = NearDuplicates.Parameters.DEFAULT;
        NearDuplicates near = new NearDuplicates(minHash);
        ShardSink train = new ShardSink(outDir, "train");
        ShardSink validation = new ShardSink(outDir, "validation");
        List<DatasetCard.SourceStats> stats = new ArrayList<>();
        long[] before = new long[3]; // documents read, bytes read, documents kept by earlier sources
        try (ForkJoinPool pool = new ForkJoinPool(threads)) {
            for (CorpusSource source : sources) {
                Counts c = new Counts();
                List<Pending> batch = new ArrayList<>();
                source.forEach(doc -> {
                    c.read++;
                    String text = TextNormalizer.normalize(doc.text());
                    long bytes = text.getBytes(StandardCharsets.UTF_8).length;
                    c.bytesRead += bytes;
                    if (text.isEmpty()) {
                        c.empty++;
                        return;
                    }
                    byte[] sha = TokenShard.sha256(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
                    ByteBuffer shaBuf = ByteBuffer.wrap(sha);
                    HashKey key = new HashKey(shaBuf.getLong(0), shaBuf.getLong(8));
                    if (!seen.add(key)) {
                        c.exact++;
                        c.exactBytes += bytes;
                        return;
                    }
                    if (!near.addIfNew(text)) {
                        c.near++;
                        c.nearBytes += bytes;
                        return;
                    }
                    c.bytesKept += bytes;
                    boolean held = unit(NearDuplicates.mix(key.hi() ^ seed)) < validationFraction;
                    int copies = 1;
                    if (held) {
                        c.validation++;
                    } else {
                        c.train++;
                        double w = source.weight();
                        copies = (int) Math.floor(w) + (unit(NearDuplicates.mix(key.lo() ^ ~seed)) < w - Math.floor(w) ? 1 : 0);
                        c.trainCopies += copies;
                    }
                    batch.add(new Pending(text, held, copies));
                    if (batch.size() >= batchDocuments) {
                        flush(pool, batch, c, train, validation);
                        progress.accept(new Progress(source.name(), before[0] + c.read, before[1] + c.bytesRead,
                                before[2] + c.train + c.validation, train.tokens + validation.tokens));
                    }
                });
                flush(pool, batch, c, train, validation);
                progress.accept(new Progress(source.name(), before[0] + c.read, before[1] + c.bytesRead,
                        before[2] + c.train + c.validation, train.tokens + validation.tokens));
                before[0] += c.read;
                before[1] += c.bytesRead;
                before[2] += c.train + c.validation;
                stats.add(new DatasetCard.SourceStats(source.name(), kind(source), source.weight(), c.read, c.bytesRead, c.empty,
                        c.exact, c.exactBytes, c.near, c.nearBytes, c.train, c.trainCopies, c.validation, c.bytesKept,
                        c.trainTokens, c.validationTokens));
            }
        }
        train.finish();
        validation.finish();
        DatasetCard card = new DatasetCard(tokenizerName, tokenizer.vocabSize(), tokenizer.eosId(),
                TokenShard.tokenBytesFor(tokenizer.vocabSize()), validationFraction, seed, minHash, stats,
                train.documents, train.tokens, validation.documents, validation.tokens, train.names, validation.names);
        card.write(outDir);
        return card;
    }

    private void flush(ForkJoinPool pool, List<Pending> batch, Counts c, ShardSink train, ShardSink validation) throws IOException {
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
            Pending p = batch.get(i);
            long n = ids[i].length + 1L;
            if (p.held()) {
                validation.add(ids[i]);
                c.validationTokens += n;
            } else {
                for (int k = 0; k < p.copies(); k++) {
                    train.add(ids[i]);
                    c.trainTokens += n;
                }
            }
        }
        batch.clear();
    }

    private static String kind(CorpusSource s) {
        return switch (s) {
            case CorpusSource.Text t -> t.splitParagraphs() ? "text-paragraphs" : "text";
            case CorpusSource.Jsonl j -> "jsonl:" + j.field();
            case CorpusSource.Archive a -> "archive";
            case CorpusSource.Auto a -> "auto";
        };
    }

    /** A uniform double in [0, 1) from the top 53 bits. */
    private static double unit(long h) {
        return (h >>> 11) * 0x1.0p-53;
    }

    private record HashKey(long hi, long lo) {
    }

    private record Pending(String text, boolean held, int copies) {
    }

    private static final class Counts {
        long read, bytesRead, empty, exact, exactBytes, near, nearBytes, train, trainCopies, validation, bytesKept, trainTokens, validationTokens;
    }

    /** Buffers ids of whole documents and writes a shard when the next would overflow it. */
    private final class ShardSink {
        final Path dir;
        final String prefix;
        final List<String> names = new ArrayList<>();
        int[] buf = new int[1024];
        int length;
        long bufDocs;
        long documents;
        long tokens;

        ShardSink(Path dir, String prefix) {
            this.dir = dir;
            this.prefix = prefix;
        }

        void add(int[] ids) throws IOException {
            int need = ids.length + 1;
            if (length > 0 && (long) length + need > shardTokens) {
                writeShard();
            }
            if ((long) length + need > buf.length) {
                buf = java.util.Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 8, Math.max((long) length + need, 2L * buf.length)));
            }
            System.arraycopy(ids, 0, buf, length, ids.length);
            length += ids.length;
            buf[length++] = tokenizer.eosId();
            bufDocs++;
            documents++;
            tokens += need;
        }

        void finish() throws IOException {
            if (length > 0) {
                writeShard();
            }
        }

        private void writeShard() throws IOException {
            String name = String.format("%s-%05d.bin", prefix, names.size());
            TokenShard.write(dir.resolve(name), buf, length, tokenizer.vocabSize(), tokenizer.eosId(), bufDocs);
            names.add(name);
            length = 0;
            bufDocs = 0;
        }
    }
}
