package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Blocked attention (two matrix products per key head) gives what row-by-row attention gives. */
class AttentionTest {
    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    @Test
    void blockMatchesRowByRowWithCausalMaskWindowsAndSharedKeyHeads() {
        Random rnd = new Random(14);
        // {kvHeads, group, hd, rows, pos0, window}
        int[][] cases = {
            {1, 1, 8, 1, 0, 0}, {2, 3, 64, 17, 0, 0}, {2, 3, 64, 64, 40, 0}, {1, 8, 32, 33, 100, 0},
            {2, 2, 16, 20, 0, 8}, {3, 1, 64, 50, 90, 40}, {2, 4, 24, 9, 3, 5},
        };
        for (int[] c : cases) {
            int kvHeads = c[0], group = c[1], hd = c[2], rows = c[3], pos0 = c[4], window = c[5];
            int heads = kvHeads * group;
            int qDim = heads * hd;
            int kvDim = kvHeads * hd;
            int positions = pos0 + rows;
            float[] keys = gaussian(rnd, positions * kvDim);
            float[] values = gaussian(rnd, positions * kvDim);
            int qOff = 5 * qDim;
            float[] q = gaussian(rnd, qOff + rows * qDim);
            float scale = (float) (1.0 / Math.sqrt(hd));
            float[] expected = new float[q.length];
            float[] scores = new float[positions];
            for (int r = 0; r < rows; r++) {
                int pos = pos0 + r;
                int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
                for (int h = 0; h < heads; h++) {
                    int at = qOff + r * qDim + h * hd;
                    Attention.head(q, at, keys, values, (h / group) * hd, kvDim, first, pos, hd, scale, scores,
                            expected, at);
                }
            }
            float[] got = new float[q.length];
            for (int kv = 0; kv < kvHeads; kv++) {
                Attention.block(q, qOff, qDim, rows, pos0, keys, values, kv, group, hd, kvDim, window, scale, got);
            }
            assertArrayEquals(expected, got, 2e-5f, java.util.Arrays.toString(c));
        }
    }

    @Test
    void blocksStayWithinTheScoreBudget() {
        assertEquals(64, Attention.blockRows(511, 0, 3));
        assertEquals(64, Attention.blockRows(100_000, 4096, 1));
        assertEquals(1, Attention.blockRows(131_071, 0, 8));
        assertEquals(16, Attention.blockRows(8_191, 0, 8));
    }
}
