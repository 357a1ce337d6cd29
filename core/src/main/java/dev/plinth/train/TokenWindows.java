package dev.plinth.train;

import dev.plinth.io.ModelFormatException;
import dev.plinth.train.corpus.TokenShard;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The windows of {@code length} consecutive ids in a list of token shards, each shard on its own
 * (documents are packed: a window may span several, separated by eos). Window {@code i} of the
 * whole list is the one starting at position {@code i} counted across the shards' start positions.
 */
final class TokenWindows implements AutoCloseable {
    private final List<TokenShard> shards;
    private final long[] firstWindow;
    private final int length;
    private final long count;

    private TokenWindows(List<TokenShard> shards, int length) {
        this.shards = shards;
        this.length = length;
        this.firstWindow = new long[shards.size()];
        long n = 0;
        for (int i = 0; i < shards.size(); i++) {
            firstWindow[i] = n;
            n += Math.max(0, shards.get(i).tokenCount() - length + 1);
        }
        this.count = n;
    }

    /** Opens (and verifies) {@code names} under {@code dir}; every shard must have vocabulary {@code vocab}. */
    static TokenWindows open(Path dir, List<String> names, int length, int vocab) throws IOException {
        List<TokenShard> shards = new ArrayList<>();
        try {
            for (String name : names) {
                Path file = dir.resolve(name);
                TokenShard s = TokenShard.open(file);
                shards.add(s);
                if (s.vocabSize() != vocab) {
                    throw new ModelFormatException(file, "vocabSize", 16, "shard vocabulary " + s.vocabSize()
                            + " differs from the corpus card's " + vocab);
                }
            }
        } catch (IOException | RuntimeException e) {
            shards.forEach(TokenShard::close);
            throw e;
        }
        return new TokenWindows(shards, length);
    }

    /** Number of distinct windows. */
    long count() {
        return count;
    }

    long tokens() {
        return shards.stream().mapToLong(TokenShard::tokenCount).sum();
    }

    int length() {
        return length;
    }

    /** Window {@code index} (0 ≤ index < {@link #count}) as ids. */
    int[] window(long index) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException("window " + index + " of " + count);
        }
        int s = shardOf(index);
        long start = index - firstWindow[s];
        TokenShard shard = shards.get(s);
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = shard.token(start + i);
        }
        return ids;
    }

    private int shardOf(long index) {
        int lo = 0;
        int hi = shards.size() - 1;
        // the last shard whose first window is <= index: shards without windows share their successor's first
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (firstWindow[mid] <= index) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    @Override
    public void close() {
        shards.forEach(TokenShard::close);
    }
}
