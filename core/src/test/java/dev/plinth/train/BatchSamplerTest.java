package dev.plinth.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.train.corpus.TokenShard;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchSamplerTest {

    @TempDir
    Path tmp;

    /** Shards whose ids are their own positions across all shards (mod 1000), one document each. */
    private List<String> shards(int... sizes) throws Exception {
        List<String> names = new ArrayList<>();
        int at = 0;
        for (int s = 0; s < sizes.length; s++) {
            int[] ids = new int[sizes[s]];
            for (int i = 0; i < ids.length - 1; i++) {
                ids[i] = at++ % 1000;
            }
            ids[ids.length - 1] = 1000;
            at++;
            String name = "s" + s + ".bin";
            TokenShard.write(tmp.resolve(name), ids, ids.length, 1001, 1000, 1);
            names.add(name);
        }
        return names;
    }

    @Test
    void windowsMapAcrossShardsSkippingShortOnes() throws Exception {
        try (TokenWindows w = TokenWindows.open(tmp, shards(10, 3, 8, 5), 5, 1001)) {
            // windows per shard: 6, 0, 4, 1
            assertEquals(11, w.count());
            assertArrayEquals(new int[] {0, 1, 2, 3, 4}, w.window(0));
            assertArrayEquals(new int[] {5, 6, 7, 8, 1000}, w.window(5));
            assertArrayEquals(new int[] {13, 14, 15, 16, 17}, w.window(6));
            assertArrayEquals(new int[] {16, 17, 18, 19, 1000}, w.window(9));
            assertArrayEquals(new int[] {21, 22, 23, 24, 1000}, w.window(10));
            assertThrows(IndexOutOfBoundsException.class, () -> w.window(11));
        }
    }

    @Test
    void samplerIsSeededCoversTheShardsAndResumesFromItsState() throws Exception {
        try (TokenWindows w = TokenWindows.open(tmp, shards(300, 200), 9, 1001)) {
            BatchSampler a = new BatchSampler(w, BatchSampler.initialState(42));
            BatchSampler b = new BatchSampler(w, BatchSampler.initialState(42));
            Set<Integer> firsts = new HashSet<>();
            for (int i = 0; i < 50; i++) {
                int[][] x = a.next(4);
                assertArrayEquals(x, b.next(4));
                for (int[] win : x) {
                    assertEquals(9, win.length);
                    firsts.add(win[0]);
                }
            }
            assertTrue(firsts.stream().anyMatch(f -> f < 290) && firsts.stream().anyMatch(f -> f > 300),
                    "both shards are sampled");
            assertTrue(firsts.size() > 120, "200 draws of 484 windows give many distinct ones: " + firsts.size());
            BatchSampler resumed = new BatchSampler(w, a.state());
            assertArrayEquals(a.next(3), resumed.next(3));
            BatchSampler other = new BatchSampler(w, BatchSampler.initialState(43));
            assertTrue(!java.util.Arrays.deepEquals(new BatchSampler(w, BatchSampler.initialState(42)).next(4), other.next(4)));
        }
    }

    @Test
    void aCorpusWithoutAWholeWindowIsRefused() throws Exception {
        try (TokenWindows w = TokenWindows.open(tmp, shards(4, 5), 9, 1001)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BatchSampler(w, 1));
            assertTrue(e.getMessage().contains("shorter context"), e.getMessage());
        }
    }
}
