package dev.plinth.train.corpus;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.plinth.io.AtomicFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * What a built corpus holds, written next to its shards as {@code card.json} and {@code card.md}.
 * Per source: {@code documentsRead = emptyDropped + exactDuplicates + nearDuplicates +
 * trainDocuments + validationDocuments}; {@code trainCopies} is the number of training documents
 * written after the mixture weight, and {@code trainTokens}/{@code validationTokens} count the ids
 * written to the shards (each document's ids plus its eos).
 */
public record DatasetCard(
        String tokenizer, int vocabSize, int eosId, int tokenBytes,
        double validationFraction, long seed, NearDuplicates.Parameters minHash,
        List<SourceStats> sources,
        long trainDocuments, long trainTokens, long validationDocuments, long validationTokens,
        List<String> trainShards, List<String> validationShards) {

    public record SourceStats(
            String name, String kind, double weight,
            long documentsRead, long bytesRead, long emptyDropped,
            long exactDuplicates, long exactDuplicateBytes, long nearDuplicates, long nearDuplicateBytes,
            long trainDocuments, long trainCopies, long validationDocuments,
            long bytesKept, long trainTokens, long validationTokens) {
    }

    void write(Path dir) throws IOException {
        byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(this);
        AtomicFiles.write(dir.resolve("card.json"), ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(json)));
        byte[] md = markdown().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve("card.md"), ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(md)));
    }

    /** Reads a card written by {@link #write}. */
    public static DatasetCard read(Path cardJson) throws IOException {
        return new ObjectMapper().readValue(cardJson.toFile(), DatasetCard.class);
    }

    String markdown() {
        StringBuilder sb = new StringBuilder("# Dataset card\n\n");
        sb.append("Tokenizer: ").append(tokenizer).append(" (vocabulary ").append(vocabSize).append(", eos ").append(eosId)
                .append(", ").append(tokenBytes * 8).append("-bit ids)\n\n");
        sb.append("Validation fraction ").append(validationFraction).append(", seed ").append(seed).append(". Near-dedup: MinHash over ")
                .append(minHash.shingle()).append("-word shingles, ").append(minHash.bands()).append(" bands x ").append(minHash.rows())
                .append(" rows, threshold ").append(minHash.threshold()).append(".\n\n");
        sb.append("| source | kind | weight | read | bytes read | empty | exact dups (bytes) | near dups (bytes) | train docs | train copies | validation docs | train tokens | validation tokens |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (SourceStats s : sources) {
            sb.append("| ").append(s.name()).append(" | ").append(s.kind()).append(" | ").append(s.weight())
                    .append(" | ").append(s.documentsRead()).append(" | ").append(s.bytesRead()).append(" | ").append(s.emptyDropped())
                    .append(" | ").append(s.exactDuplicates()).append(" (").append(s.exactDuplicateBytes()).append(")")
                    .append(" | ").append(s.nearDuplicates()).append(" (").append(s.nearDuplicateBytes()).append(")")
                    .append(" | ").append(s.trainDocuments()).append(" | ").append(s.trainCopies()).append(" | ").append(s.validationDocuments())
                    .append(" | ").append(s.trainTokens()).append(" | ").append(s.validationTokens()).append(" |\n");
        }
        sb.append("\nTrain: ").append(trainDocuments).append(" documents, ").append(trainTokens).append(" tokens in ")
                .append(trainShards.size()).append(" shard(s). Validation: ").append(validationDocuments).append(" documents, ")
                .append(validationTokens).append(" tokens in ").append(validationShards.size()).append(" shard(s).\n");
        return sb.toString();
    }
}
