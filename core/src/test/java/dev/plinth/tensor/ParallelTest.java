package dev.plinth.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void everyIndexRunsExactlyOnceInContiguousChunks() {
        Random rnd = new Random(11);
        for (int c = 0; c < 2000; c++) {
            int n = c < 10 ? c : 1 + rnd.nextInt(5000);
            int grain = 1 + rnd.nextInt(64);
            AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
            Parallel.parallelFor(n, grain, (s, e) -> {
                assertTrue(0 <= s && s < e && e <= n, "chunk [" + s + "," + e + ") of " + n);
                for (int i = s; i < e; i++) {
                    hits.incrementAndGet(i);
                }
            });
            for (int i = 0; i < n; i++) {
                assertEquals(1, hits.get(i), "index " + i + " of " + n);
            }
        }
    }

    @Test
    void nestedCallsAndConcurrentCallersAreCorrect() throws Exception {
        List<Thread> threads = new ArrayList<>();
        long[] sums = new long[4];
        for (int t = 0; t < sums.length; t++) {
            int slot = t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int rep = 0; rep < 200; rep++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(100 * 50);
                    Parallel.parallelFor(100, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            int row = i;
                            Parallel.parallelFor(50, (s2, e2) -> {
                                for (int j = s2; j < e2; j++) {
                                    hits.incrementAndGet(row * 50 + j);
                                }
                            });
                        }
                    });
                    long total = 0;
                    for (int i = 0; i < hits.length(); i++) {
                        total += hits.get(i) == 1 ? 1 : 1_000_000;
                    }
                    sums[slot] += total;
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        for (long s : sums) {
            assertEquals(200L * 5000, s);
        }
    }

    @Test
    void exceptionsReachTheCallerAndThePoolStaysUsable() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.parallelFor(1000, (s, end) -> {
            if (s <= 500 && 500 < end) {
                throw new IllegalStateException("boom");
            }
        }));
        assertEquals("boom", e.getMessage());
        int[] count = new int[1];
        Parallel.parallelFor(10, 100, (s, end) -> count[0] += end - s);
        assertEquals(10, count[0]);
        assertTrue(Parallel.threads() >= 1);
    }
}
