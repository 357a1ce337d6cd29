package dev.plinth.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * F32 register-tiled kernels for {@code C = A · B^T} with A and B row-major along k: a tile of
 * four B rows against two A rows keeps eight vector accumulators and needs six loads per eight
 * FMAs. Both operands are contiguous along k, so rows are their own packed panels.
 */
final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Gemm() {
    }

    /**
     * For {@code i < m} and {@code r < rows}: {@code c[cOff + i*ldc + r] = a[aOff + i*k ..] · b[bOff + r*k ..]}.
     */
    static void rows(float[] a, int aOff, int m, int k, float[] b, int bOff, int rows, float[] c, int cOff, int ldc) {
        if (rows == 4) {
            int i = 0;
            for (; i + 2 <= m; i += 2) {
                tile4x2(a, aOff + i * k, k, b, bOff, c, cOff + i * ldc, ldc);
            }
            if (i < m) {
                tile4x1(a, aOff + i * k, k, b, bOff, c, cOff + i * ldc);
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < m; i++) {
                c[cOff + i * ldc + r] = dot(a, aOff + i * k, b, bOff + r * k, k);
            }
        }
    }

    private static void tile4x2(float[] a, int a0, int k, float[] b, int b0, float[] c, int c0, int ldc) {
        int a1 = a0 + k;
        int b1 = b0 + k;
        int b2 = b1 + k;
        int b3 = b2 + k;
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c13 = FloatVector.zero(S);
        int bound = S.loopBound(k);
        int p = 0;
        for (; p < bound; p += S.length()) {
            FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
            FloatVector x1 = FloatVector.fromArray(S, a, a1 + p);
            FloatVector w = FloatVector.fromArray(S, b, b0 + p);
            c00 = x0.fma(w, c00);
            c10 = x1.fma(w, c10);
            w = FloatVector.fromArray(S, b, b1 + p);
            c01 = x0.fma(w, c01);
            c11 = x1.fma(w, c11);
            w = FloatVector.fromArray(S, b, b2 + p);
            c02 = x0.fma(w, c02);
            c12 = x1.fma(w, c12);
            w = FloatVector.fromArray(S, b, b3 + p);
            c03 = x0.fma(w, c03);
            c13 = x1.fma(w, c13);
        }
        float s00 = Lanes.sum(c00), s01 = Lanes.sum(c01);
        float s02 = Lanes.sum(c02), s03 = Lanes.sum(c03);
        float s10 = Lanes.sum(c10), s11 = Lanes.sum(c11);
        float s12 = Lanes.sum(c12), s13 = Lanes.sum(c13);
        for (; p < k; p++) {
            float x0 = a[a0 + p];
            float x1 = a[a1 + p];
            s00 += x0 * b[b0 + p];
            s01 += x0 * b[b1 + p];
            s02 += x0 * b[b2 + p];
            s03 += x0 * b[b3 + p];
            s10 += x1 * b[b0 + p];
            s11 += x1 * b[b1 + p];
            s12 += x1 * b[b2 + p];
            s13 += x1 * b[b3 + p];
        }
        c[c0] = s00;
        c[c0 + 1] = s01;
        c[c0 + 2] = s02;
        c[c0 + 3] = s03;
        c[c0 + ldc] = s10;
        c[c0 + ldc + 1] = s11;
        c[c0 + ldc + 2] = s12;
        c[c0 + ldc + 3] = s13;
    }

    private static void tile4x1(float[] a, int a0, int k, float[] b, int b0, float[] c, int c0) {
        int b1 = b0 + k;
        int b2 = b1 + k;
        int b3 = b2 + k;
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
        int bound = S.loopBound(k);
        int p = 0;
        for (; p < bound; p += S.length()) {
            FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
            c00 = x0.fma(FloatVector.fromArray(S, b, b0 + p), c00);
            c01 = x0.fma(FloatVector.fromArray(S, b, b1 + p), c01);
            c02 = x0.fma(FloatVector.fromArray(S, b, b2 + p), c02);
            c03 = x0.fma(FloatVector.fromArray(S, b, b3 + p), c03);
        }
        float s00 = Lanes.sum(c00), s01 = Lanes.sum(c01);
        float s02 = Lanes.sum(c02), s03 = Lanes.sum(c03);
        for (; p < k; p++) {
            float x0 = a[a0 + p];
            s00 += x0 * b[b0 + p];
            s01 += x0 * b[b1 + p];
            s02 += x0 * b[b2 + p];
            s03 += x0 * b[b3 + p];
        }
        c[c0] = s00;
        c[c0 + 1] = s01;
        c[c0 + 2] = s02;
        c[c0 + 3] = s03;
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int k) {
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = FloatVector.zero(S);
        int step = S.length();
        int p = 0;
        for (; p + 2 * step <= k; p += 2 * step) {
            acc0 = FloatVector.fromArray(S, a, aOff + p).fma(FloatVector.fromArray(S, b, bOff + p), acc0);
            acc1 = FloatVector.fromArray(S, a, aOff + p + step).fma(FloatVector.fromArray(S, b, bOff + p + step), acc1);
        }
        float s = Lanes.sum(acc0.add(acc1));
        for (; p < k; p++) {
            s += a[aOff + p] * b[bOff + p];
        }
        return s;
    }
}
