package dev.plinth.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise kernels and softmax on float ranges. Outputs may alias inputs element for element
 * (same array, same offset).
 */
public final class Activations {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);
    private static final float GELU_COEF = 0.044715f;
    private static final float INV_SQRT_2 = (float) (1.0 / Math.sqrt(2.0));

    private Activations() {
    }

    /** Softmax of {@code x[off..off+len)} in place, shifting by the maximum for stability. */
    public static void softmax(float[] x, int off, int len) {
        if (len <= 0) {
            return;
        }
        float max = Softmax.max(x, off, len);
        int bound = S.loopBound(len);
        int i = 0;
        FloatVector sv = FloatVector.zero(S);
        for (; i < bound; i += S.length()) {
            FloatVector e = FloatVector.fromArray(S, x, off + i).sub(max);
            e = Lanes.exp(e);
            e.intoArray(x, off + i);
            sv = sv.add(e);
        }
        float sum = Lanes.sum(sv);
        for (; i < len; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        scale(x, off, len, 1f / sum);
    }

    /** {@code x = x * sigmoid(x)} in place. */
    public static void silu(float[] x, int off, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, off + i);
            silu(v).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = silu(x[off + i]);
        }
    }

    /** {@code out = silu(a) * b} (the SwiGLU gate of llama-family feed-forward layers). */
    public static void swiglu(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, a, aOff + i);
            silu(v).mul(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = silu(a[aOff + i]) * b[bOff + i];
        }
    }

    /**
     * The backward of {@link #swiglu}: {@code da += g · b · σ(a)(1 + a(1 − σ(a)))} and
     * {@code db += g · a · σ(a)}, where {@code d silu(a)/da = σ(a)(1 + a(1 − σ(a)))}.
     */
    public static void swigluBackward(float[] g, float[] a, float[] b, float[] da, float[] db, int off, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            int o = off + i;
            FloatVector av = FloatVector.fromArray(S, a, o);
            FloatVector sig = one.div(Lanes.exp(av.neg()).add(1f));
            FloatVector gs = FloatVector.fromArray(S, g, o).mul(sig);
            FloatVector dsilu = av.mul(sig.neg().add(1f)).add(1f);
            gs.mul(FloatVector.fromArray(S, b, o)).fma(dsilu, FloatVector.fromArray(S, da, o)).intoArray(da, o);
            gs.fma(av, FloatVector.fromArray(S, db, o)).intoArray(db, o);
        }
        for (; i < n; i++) {
            int o = off + i;
            float x = a[o];
            float sig = (float) (1.0 / (1.0 + Math.exp(-x)));
            da[o] += g[o] * b[o] * sig * (1f + x * (1f - sig));
            db[o] += g[o] * x * sig;
        }
    }

    /** GELU, tanh approximation as ggml and GPT-2 use it, in place. */
    public static void geluTanh(float[] x, int off, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, off + i);
            FloatVector inner = v.mul(v).mul(GELU_COEF).add(1f).mul(v).mul(SQRT_2_OVER_PI);
            inner.lanewise(VectorOperators.TANH).add(1f).mul(v).mul(0.5f).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            float v = x[off + i];
            x[off + i] = 0.5f * v * (1f + (float) Math.tanh(SQRT_2_OVER_PI * v * (1f + GELU_COEF * v * v)));
        }
    }

    /** GELU with the exact error function, {@code x * (1 + erf(x/√2)) / 2}, in place. */
    public static void geluErf(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            x[off + i] = 0.5f * v * (1f + erf(v * INV_SQRT_2));
        }
    }

    /** {@code out = a + b}. */
    public static void add(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    /** {@code out = a * b} element-wise. */
    public static void mul(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, a, aOff + i).mul(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = a[aOff + i] * b[bOff + i];
        }
    }

    /** {@code x *= s} in place. */
    public static void scale(float[] x, int off, int n, float s) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, off + i).mul(s).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= s;
        }
    }

    /** {@code Σ a[aOff+i]·b[bOff+i]} over {@code n} elements (one vector accumulator, then the tail in order). */
    /** {@code log Σ exp(x[off..off+n))}, in double, shifted by the maximum so it cannot overflow. */
    public static double logSumExp(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(x[off + i] - max);
        }
        return max + Math.log(sum);
    }

    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float sum = 0;
        int bound = S.loopBound(n);
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += S.length()) {
                acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
            }
            sum = Lanes.sum(acc);
        }
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /** {@code y += a * x}. */
    public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector av = FloatVector.broadcast(S, a);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).fma(av, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    /**
     * The error function in float precision (absolute error below 2e-7): Abramowitz and Stegun
     * 7.1.26's rational form is too coarse near zero for GELU's small inputs, so small arguments
     * use the Maclaurin series instead.
     */
    public static float erf(float xf) {
        double x = xf;
        double ax = Math.abs(x);
        double r;
        if (ax < 0.5) {
            double x2 = x * x;
            // 2/sqrt(pi) * (x - x^3/3 + x^5/10 - x^7/42 + x^9/216 - x^11/1320)
            r = 1.1283791670955126 * x * (1 - x2 * (1.0 / 3 - x2 * (1.0 / 10 - x2 * (1.0 / 42 - x2 * (1.0 / 216 - x2 / 1320)))));
            return (float) r;
        }
        if (ax > 6) {
            return x > 0 ? 1f : -1f;
        }
        double t = 1.0 / (1.0 + 0.3275911 * ax);
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        r = 1.0 - poly * Math.exp(-ax * ax);
        return (float) (x < 0 ? -r : r);
    }

    private static FloatVector silu(FloatVector v) {
        return v.div(Lanes.exp(v.neg()).add(1f));
    }

    private static float silu(float v) {
        return v / (1f + (float) Math.exp(-v));
    }
}
