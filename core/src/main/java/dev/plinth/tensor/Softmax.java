package dev.plinth.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised pieces of softmax over a row, for training: the row's log-sum-exp, the row's
 * exponentials shifted by it (its softmax), and the softmax added into a gradient row. The exponentials are {@link Lanes#exp}
 * (within about 2 ulp of {@link Math#exp}); sums run in float lanes reduced in a fixed order, so a
 * run repeats bit for bit.
 */
public final class Softmax {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Softmax() {
    }

    /** {@code log Σ exp(x[off..off+n))}, shifted by the maximum so it cannot overflow. */
    public static double logSumExp(float[] x, int off, int n) {
        float max = max(x, off, n);
        int bound = S.loopBound(n);
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i < bound; i += S.length()) {
            acc = acc.add(Lanes.exp(FloatVector.fromArray(S, x, off + i).sub(max)));
        }
        double sum = Lanes.sum(acc);
        for (; i < n; i++) {
            sum += Math.exp(x[off + i] - max);
        }
        return max + Math.log(sum);
    }

    /** {@code dst[dOff + i] += scale · exp(x[xOff + i] − shift)} for every i below n. */
    public static void addScaledExp(float[] dst, int dOff, float[] x, int xOff, int n, float shift, float scale) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector e = Lanes.exp(FloatVector.fromArray(S, x, xOff + i).sub(shift));
            e.fma(FloatVector.broadcast(S, scale), FloatVector.fromArray(S, dst, dOff + i)).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            dst[dOff + i] += (float) Math.exp(x[xOff + i] - shift) * scale;
        }
    }

    /** {@code x[off + i] = exp(x[off + i] − shift)} in place, for every i below n. */
    public static void expShifted(float[] x, int off, int n, float shift) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            Lanes.exp(FloatVector.fromArray(S, x, off + i).sub(shift)).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = (float) Math.exp(x[off + i] - shift);
        }
    }

    /** The largest of {@code x[off..off+n)} ({@code -∞} when n is 0). */
    static float max(float[] x, int off, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (bound > 0) {
            FloatVector mv = FloatVector.fromArray(S, x, off);
            for (i = S.length(); i < bound; i += S.length()) {
                mv = mv.max(FloatVector.fromArray(S, x, off + i));
            }
            max = mv.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        return max;
    }
}
