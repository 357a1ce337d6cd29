package dev.plinth.train.corpus;

import dev.plinth.text.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The sequential half of a corpus build, shared by {@link CorpusBuilder} and the Spark job so both
 * write the same bytes: documents are {@link #admit admitted} in reading order (empty, exact and near
 * duplicates dropped, the survivors placed in train or validation), then their token ids are
 * {@link #write written} in the same order into {@code train-NNNNN.bin} / {@code validation-NNNNN.bin}
 * {@link TokenShard}s; {@link #finish} writes the last shards and the {@link DatasetCard}.
 *
 * <p>The split is a function of the document text and the seed only: a document whose hash maps
 * below {@code validationFraction} is held out wherever and whenever it appears. Training documents
 * are written {@code floor(weight)} times plus once more with probability {@code frac(weight)}
 * (decided by another part of the same hash); validation documents are written once.
 */
public final class CorpusWriter {

    /** Where an admitted document goes: its source's index, held out for validation or not, copies written. */
    public record Placement(int source, boolean validation, int copies) implements java.io.Serializable {
    }

    private final Path outDir;
    private final Tokenizer tokenizer;
    private final String tokenizerName;
    private final double validationFraction;
    private final long seed;
    private final NearDuplicates.Parameters minHash = NearDuplicates.Parameters.DEFAULT;
    private final NearDuplicates near = new NearDuplicates(minHash);
    private final Set<Hash> seen = new HashSet<>();
    private final List<Counts> counts = new ArrayList<>();
    private final ShardSink train;
    private final ShardSink validation;

    public CorpusWriter(Path outDir, Tokenizer tokenizer, String tokenizerName, double validationFraction, long seed,
                        int shardTokens) throws IOException {
        this.outDir = outDir;
        this.tokenizer = tokenizer;
        this.tokenizerName = tokenizerName;
        this.validationFraction = validationFraction;
        this.seed = seed;
        Files.createDirectories(outDir);
        train = new ShardSink("train", shardTokens);
        validation = new ShardSink("validation", shardTokens);
    }

    /** The MinHash parameters documents' {@link NearDuplicates#signature signatures} must be computed with. */
    public NearDuplicates.Parameters minHash() {
        return minHash;
    }

    /** Starts the next source: documents admitted from now on count towards it. */
    public void startSource(CorpusSource source) {
        counts.add(new Counts(source.name(), kind(source), source.weight()));
    }

    /**
     * Decides one document of the current source, in reading order: null when it is dropped (empty,
     * an exact duplicate of one admitted before, or a near duplicate of one kept before), else where
     * it goes. {@code signature} is asked for only when the near-duplicate check is reached.
     */
    public Placement admit(DocumentKey key, Supplier<int[]> signature) {
        Counts c = counts.getLast();
        c.read++;
        c.bytesRead += key.bytes();
        if (key.isEmpty()) {
            c.empty++;
            return null;
        }
        if (!seen.add(new Hash(key.hashHi(), key.hashLo()))) {
            c.exact++;
            c.exactBytes += key.bytes();
            return null;
        }
        if (!near.addIfNew(signature.get())) {
            c.near++;
            c.nearBytes += key.bytes();
            return null;
        }
        c.bytesKept += key.bytes();
        if (unit(NearDuplicates.mix(key.hashHi() ^ seed)) < validationFraction) {
            c.validation++;
            return new Placement(counts.size() - 1, true, 1);
        }
        c.train++;
        double w = c.weight;
        int copies = (int) Math.floor(w) + (unit(NearDuplicates.mix(key.hashLo() ^ ~seed)) < w - Math.floor(w) ? 1 : 0);
        c.trainCopies += copies;
        return new Placement(counts.size() - 1, false, copies);
    }

    /** Writes the ids of an admitted document (without its eos, which is appended): admitted documents in admission order. */
    public void write(Placement placement, int[] ids) throws IOException {
        Counts c = counts.get(placement.source());
        long n = ids.length + 1L;
        if (placement.validation()) {
            validation.add(ids);
            c.validationTokens += n;
            return;
        }
        for (int k = 0; k < placement.copies(); k++) {
            train.add(ids);
            c.trainTokens += n;
        }
    }

    /** Ids written so far, eos included. */
    public long tokensWritten() {
        return train.tokens + validation.tokens;
    }

    /** Documents admitted so far, over all sources. */
    public long documentsKept() {
        return counts.stream().mapToLong(c -> c.train + c.validation).sum();
    }

    /** Writes the last shards and the card ({@code card.json}, {@code card.md}); returns the card. */
    public DatasetCard finish() throws IOException {
        train.finish();
        validation.finish();
        List<DatasetCard.SourceStats> stats = counts.stream().map(Counts::stats).toList();
        DatasetCard card = new DatasetCard(tokenizerName, tokenizer.vocabSize(), tokenizer.eosId(),
                TokenShard.tokenBytesFor(tokenizer.vocabSize()), validationFraction, seed, minHash, stats,
                train.documents, train.tokens, validation.documents, validation.tokens, train.names, validation.names);
        card.write(outDir);
        return card;
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

    private record Hash(long hi, long lo) {
    }

    private static final class Counts {
        final String name, kind;
        final double weight;
        long read, bytesRead, empty, exact, exactBytes, near, nearBytes, train, trainCopies, validation, bytesKept, trainTokens, validationTokens;

        Counts(String name, String kind, double weight) {
            this.name = name;
            this.kind = kind;
            this.weight = weight;
        }

        DatasetCard.SourceStats stats() {
            return new DatasetCard.SourceStats(name, kind, weight, read, bytesRead, empty, exact, exactBytes, near, nearBytes,
                    train, trainCopies, validation, bytesKept, trainTokens, validationTokens);
        }
    }

    /** Buffers ids of whole documents and writes a shard when the next would overflow it. */
    private final class ShardSink {
        final String prefix;
        final int shardTokens;
        final List<String> names = new ArrayList<>();
        int[] buf = new int[1024];
        int length;
        long bufDocs;
        long documents;
        long tokens;

        ShardSink(String prefix, int shardTokens) {
            this.prefix = prefix;
            this.shardTokens = shardTokens;
        }

        void add(int[] ids) throws IOException {
            int need = ids.length + 1;
            if (length > 0 && (long) length + need > shardTokens) {
                writeShard();
            }
            if ((long) length + need > buf.length) {
                buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 8, Math.max((long) length + need, 2L * buf.length)));
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
            TokenShard.write(outDir.resolve(name), buf, length, tokenizer.vocabSize(), tokenizer.eosId(), bufDocs);
            names.add(name);
            length = 0;
            bufDocs = 0;
        }
    }
}
