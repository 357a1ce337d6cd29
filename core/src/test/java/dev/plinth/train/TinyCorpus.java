package dev.plinth.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.train.corpus.DatasetCard;
import dev.plinth.train.corpus.NearDuplicates;
import dev.plinth.train.corpus.TokenShard;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A built corpus written by a test: shards of documents from a noisy deterministic chain over a
 * small vocabulary (next = (3·prev + 1) mod (vocab − 1), a random id 10% of the time), so a tiny
 * model can learn it quickly and its loss must fall far below ln(vocab).
 */
final class TinyCorpus {
    static final int VOCAB = 64;
    static final int EOS = VOCAB - 1;

    private TinyCorpus() {
    }

    /** Writes {@code trainShards} train shards and one validation shard of about {@code tokensPerShard} ids each. */
    static Path write(Path dir, int trainShards, int tokensPerShard, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> train = new ArrayList<>();
        long trainTokens = 0;
        long trainDocs = 0;
        for (int s = 0; s < trainShards; s++) {
            String name = String.format("train-%05d.bin", s);
            long[] counts = shard(dir.resolve(name), tokensPerShard, rnd);
            train.add(name);
            trainTokens += counts[0];
            trainDocs += counts[1];
        }
        long[] val = shard(dir.resolve("validation-00000.bin"), tokensPerShard, rnd);
        DatasetCard card = new DatasetCard("tokenizer.json", VOCAB, EOS, 2, 0.1, seed, NearDuplicates.Parameters.DEFAULT,
                List.of(), trainDocs, trainTokens, val[1], val[0], train, List.of("validation-00000.bin"));
        new ObjectMapper().writeValue(dir.resolve("card.json").toFile(), card);
        return dir;
    }

    private static long[] shard(Path file, int tokens, SplittableRandom rnd) throws IOException {
        int[] ids = new int[tokens + 200];
        int n = 0;
        long docs = 0;
        while (n < tokens) {
            int len = 20 + rnd.nextInt(100);
            int prev = rnd.nextInt(EOS);
            for (int i = 0; i < len; i++) {
                int next = rnd.nextInt(10) == 0 ? rnd.nextInt(EOS) : (3 * prev + 1) % EOS;
                ids[n++] = next;
                prev = next;
            }
            ids[n++] = EOS;
            docs++;
        }
        TokenShard.write(file, ids, n, VOCAB, EOS, docs);
        return new long[] {n, docs};
    }

    /** A small config over this corpus: 2 layers of width 32, context 16, batch 4. */
    static PretrainConfig config(long steps) {
        return PretrainConfig.defaults().with(java.util.Map.ofEntries(
                java.util.Map.entry("hidden", "32"), java.util.Map.entry("layers", "2"), java.util.Map.entry("heads", "4"),
                java.util.Map.entry("kv-heads", "2"), java.util.Map.entry("ffn", "64"), java.util.Map.entry("context", "16"),
                java.util.Map.entry("batch", "4"), java.util.Map.entry("grad-accum", "2"),
                java.util.Map.entry("steps", Long.toString(steps)), java.util.Map.entry("lr", "0.01"),
                java.util.Map.entry("min-lr", "0.001"), java.util.Map.entry("warmup", Long.toString(Math.min(5, steps))),
                java.util.Map.entry("eval-every", "5"), java.util.Map.entry("eval-batches", "2"),
                java.util.Map.entry("checkpoint-every", "0")), "test");
    }
}
