package dev.plinth.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The packed F32 GEMM in every layout against a double-precision naive product, on shapes that
 * are not multiples of the register tile ({@link Sgemm#MR} × {@link Sgemm#NR}) and that cross the
 * k-block (384) and column-block boundaries. Tolerance per element: {@code 1e-5 · Σ|a·b| + 1e-6},
 * float rounding of a reassociated sum.
 */
class SgemmTest {
    private static float[] gaussian(Random rnd, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    /** op(A)(i, p): A stored [m, k], or [k, m] when transposed. */
    private static double aAt(float[] a, boolean transA, int m, int k, int i, int p) {
        return transA ? a[p * m + i] : a[i * k + p];
    }

    /** op(B)(p, j): B stored [k, n], or [n, k] when transposed. */
    private static double bAt(float[] b, boolean transB, int n, int k, int p, int j) {
        return transB ? b[j * k + p] : b[p * n + j];
    }

    private static void check(Random rnd, boolean transA, boolean transB, int m, int n, int k, boolean accumulate) {
        float[] a = gaussian(rnd, m * k);
        float[] b = gaussian(rnd, n * k);
        float[] before = gaussian(rnd, m * n);
        float[] c = before.clone();
        MatMul.gemm(transA, transB, a, b, c, m, n, k, accumulate);
        String what = (transA ? "T" : "N") + (transB ? "T" : "N") + " " + m + "x" + n + "x" + k
                + (accumulate ? " accumulating" : "");
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double ref = accumulate ? before[i * n + j] : 0;
                double mag = Math.abs(ref);
                for (int p = 0; p < k; p++) {
                    double t = aAt(a, transA, m, k, i, p) * bAt(b, transB, n, k, p, j);
                    ref += t;
                    mag += Math.abs(t);
                }
                double tol = 1e-5 * mag + 1e-6;
                float got = c[i * n + j];
                if (!(Math.abs(got - ref) <= tol)) {
                    fail(what + ": C[" + i + ", " + j + "] = " + got + ", expected " + ref + " ± " + tol);
                }
            }
        }
    }

    @Test
    void allLayoutsMatchDoublePrecisionOnOddShapes() {
        Random rnd = new Random(20261128);
        int[][] shapes = {
            {1, 1, 1}, {1, 7, 3}, {2, 1, 5}, {3, 5, 2}, {11, 31, 13}, {13, 33, 17}, {12, 32, 16},
            {25, 65, 1}, {37, 70, 385}, {49, 97, 800}, {130, 45, 64}, {5, 700, 19}, {20, 690, 391},
        };
        for (int[] s : shapes) {
            for (int layout = 0; layout < 4; layout++) {
                check(rnd, (layout & 2) != 0, (layout & 1) != 0, s[0], s[1], s[2], false);
            }
        }
    }

    @Test
    void accumulatesIntoExistingValues() {
        Random rnd = new Random(5);
        for (int layout = 0; layout < 4; layout++) {
            check(rnd, (layout & 2) != 0, (layout & 1) != 0, 29, 51, 400, true);
            check(rnd, (layout & 2) != 0, (layout & 1) != 0, 3, 2, 1, true);
        }
    }

    @Test
    void trainingShapesMatch() {
        // a linear layer's three products at a small training size: forward, dX, dW
        Random rnd = new Random(77);
        check(rnd, false, true, 256, 96, 160, false);
        check(rnd, false, false, 256, 160, 96, true);
        check(rnd, true, false, 96, 160, 256, true);
    }

    @Test
    void stridedViewsMatchDoublePrecision() {
        // attention's shapes: one head's columns of rows that hold several heads, written into a wider C
        Random rnd = new Random(14);
        int[][] shapes = {{1, 1, 1}, {7, 13, 64}, {40, 97, 64}, {96, 64, 450}, {13, 70, 5}};
        for (int[] s : shapes) {
            for (boolean transB : new boolean[] {false, true}) {
                int m = s[0], n = s[1], k = s[2];
                int lda = k + 3, ldb = (transB ? k : n) + 5, ldc = n + 2;
                float[] a = gaussian(rnd, 2 + m * lda);
                float[] b = gaussian(rnd, 1 + (transB ? n : k) * ldb);
                float[] c = gaussian(rnd, 4 + m * ldc);
                float[] before = c.clone();
                MatMul.gemm(false, transB, a, 2, lda, b, 1, ldb, c, 4, ldc, m, n, k, false);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < ldc; j++) {
                        int at = 4 + i * ldc + j;
                        if (j >= n) {
                            assertEquals(before[at], c[at], "outside C's view");
                            continue;
                        }
                        double ref = 0, mag = 0;
                        for (int p = 0; p < k; p++) {
                            double t = (double) a[2 + i * lda + p] * b[1 + (transB ? j * ldb + p : p * ldb + j)];
                            ref += t;
                            mag += Math.abs(t);
                        }
                        assertEquals(ref, c[at], 1e-5 * mag + 1e-6, m + "x" + n + "x" + k + " C[" + i + ", " + j + "]");
                    }
                }
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> MatMul.gemm(false, true, new float[6], 1, 3, new float[6], 0, 3, new float[4], 0, 2, 2, 2, 3, false));
    }

    @Test
    void emptyInnerDimensionClearsOrKeeps() {
        float[] c = {1, 2, 3, 4, 5, 6};
        MatMul.gemm(false, true, new float[0], new float[0], c, 2, 3, 0, true);
        assertEquals(21f, c[0] + c[1] + c[2] + c[3] + c[4] + c[5]);
        MatMul.gemm(false, true, new float[0], new float[0], c, 2, 3, 0, false);
        assertEquals(0f, c[0] + c[1] + c[2] + c[3] + c[4] + c[5]);
    }

    @Test
    void rejectsShortArrays() {
        assertThrows(IllegalArgumentException.class,
                () -> MatMul.gemm(true, false, new float[5], new float[6], new float[4], 2, 2, 3, false));
        assertThrows(IllegalArgumentException.class,
                () -> MatMul.gemm(false, false, new float[6], new float[5], new float[4], 2, 2, 3, false));
        assertThrows(IllegalArgumentException.class,
                () -> MatMul.gemm(false, true, new float[6], new float[6], new float[3], 2, 2, 3, false));
        assertThrows(IllegalArgumentException.class,
                () -> MatMul.gemm(false, true, new float[6], new float[6], new float[4], -2, 2, 3, false));
    }
}
