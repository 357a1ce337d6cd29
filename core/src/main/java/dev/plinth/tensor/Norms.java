package dev.plinth.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Normalisations over one vector of {@code n} floats; {@code out} may be the same array as {@code x}. */
public final class Norms {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Norms() {
    }

    /** {@code out[i] = x[i] / sqrt(mean(x²) + eps) * weight[i]}; {@code weight} null means all ones. */
    public static void rmsNorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int wOff, int n, float eps) {
        float inv = (float) (1.0 / Math.sqrt(sumOfSquares(x, xOff, n) / n + eps));
        int i = 0;
        int bound = S.loopBound(n);
        if (weight == null) {
            scaleInto(out, outOff, x, xOff, n, inv);
            return;
        }
        for (; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i).mul(inv);
            v.mul(FloatVector.fromArray(S, weight, wOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = x[xOff + i] * inv * weight[wOff + i];
        }
    }

    /** {@link #rmsNorm(float[], int, float[], int, float[], int, int, float)} on whole arrays of length n. */
    public static void rmsNorm(float[] out, float[] x, float[] weight, float eps) {
        rmsNorm(out, 0, x, 0, weight, 0, x.length, eps);
    }

    /**
     * {@code out[i] = (x[i] - mean) / sqrt(var + eps) * weight[i] + bias[i]} with the population
     * variance; {@code weight} or {@code bias} null mean ones or zeros.
     */
    public static void layerNorm(float[] out, int outOff, float[] x, int xOff, float[] weight, float[] bias, int pOff,
                                 int n, float eps) {
        float mean = sum(x, xOff, n) / n;
        float var = centeredSumOfSquares(x, xOff, n, mean) / n;
        float inv = (float) (1.0 / Math.sqrt(var + eps));
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i).sub(mean).mul(inv);
            if (weight != null) {
                v = v.mul(FloatVector.fromArray(S, weight, pOff + i));
            }
            if (bias != null) {
                v = v.add(FloatVector.fromArray(S, bias, pOff + i));
            }
            v.intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            float v = (x[xOff + i] - mean) * inv;
            if (weight != null) {
                v *= weight[pOff + i];
            }
            if (bias != null) {
                v += bias[pOff + i];
            }
            out[outOff + i] = v;
        }
    }

    /** {@link #layerNorm(float[], int, float[], int, float[], float[], int, int, float)} on whole arrays. */
    public static void layerNorm(float[] out, float[] x, float[] weight, float[] bias, float eps) {
        layerNorm(out, 0, x, 0, weight, bias, 0, x.length, eps);
    }

    static float sumOfSquares(float[] x, int off, int n) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        int step = S.length();
        int i = 0;
        for (; i + 2 * step <= n; i += 2 * step) {
            FloatVector v0 = FloatVector.fromArray(S, x, off + i);
            FloatVector v1 = FloatVector.fromArray(S, x, off + i + step);
            a0 = v0.fma(v0, a0);
            a1 = v1.fma(v1, a1);
        }
        float s = Lanes.sum(a0.add(a1));
        for (; i < n; i++) {
            s += x[off + i] * x[off + i];
        }
        return s;
    }

    static float sum(float[] x, int off, int n) {
        FloatVector a = FloatVector.zero(S);
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += S.length()) {
            a = a.add(FloatVector.fromArray(S, x, off + i));
        }
        float s = Lanes.sum(a);
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    private static float centeredSumOfSquares(float[] x, int off, int n, float mean) {
        FloatVector a = FloatVector.zero(S);
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += S.length()) {
            FloatVector d = FloatVector.fromArray(S, x, off + i).sub(mean);
            a = d.fma(d, a);
        }
        float s = Lanes.sum(a);
        for (; i < n; i++) {
            float d = x[off + i] - mean;
            s += d * d;
        }
        return s;
    }

    private static void scaleInto(float[] out, int outOff, float[] x, int xOff, int n, float s) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).mul(s).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = x[xOff + i] * s;
        }
    }
}
