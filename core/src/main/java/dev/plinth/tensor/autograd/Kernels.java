package dev.plinth.tensor.autograd;

import dev.plinth.tensor.Activations;
import dev.plinth.tensor.Parallel;

/** Small helpers of the backward passes. */
final class Kernels {
    private static final int BLOCK = 32;

    private Kernels() {
    }

    /** {@code acc += x}, element-wise, on all cores. */
    static void addInto(float[] acc, float[] x) {
        Parallel.parallelFor(acc.length, 16384, (s, e) -> Activations.add(acc, s, acc, s, x, s, e - s));
    }

    /** The transpose of row-major {@code a [rows, cols]}, in cache-sized blocks. */
    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        int blocks = (rows + BLOCK - 1) / BLOCK;
        Parallel.parallelFor(blocks, 1, (s, e) -> {
            for (int b = s; b < e; b++) {
                int r0 = b * BLOCK;
                int r1 = Math.min(rows, r0 + BLOCK);
                for (int c0 = 0; c0 < cols; c0 += BLOCK) {
                    int c1 = Math.min(cols, c0 + BLOCK);
                    for (int r = r0; r < r1; r++) {
                        for (int c = c0; c < c1; c++) {
                            t[c * rows + r] = a[r * cols + c];
                        }
                    }
                }
            }
        });
        return t;
    }
}
