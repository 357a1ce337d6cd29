package dev.plinth.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Norms, RoPE, softmax and activations against double-precision scalar references, on seeded
 * random lengths (including lengths that are not a multiple of the vector length, and 1), with
 * offsets into larger arrays. Tolerance: {@code 2e-6 · (1 + |reference|)} per element unless stated.
 */
class ElementwiseTest {
    private static final int[] LENGTHS = {1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 129, 1000};
    private static final double TOL = 2e-6;

    private static float[] gaussian(Random rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * scale);
        }
        return v;
    }

    private static void assertClose(String what, double[] ref, float[] got, int off, double tol) {
        for (int i = 0; i < ref.length; i++) {
            double t = tol * (1 + Math.abs(ref[i]));
            if (!(Math.abs(got[off + i] - ref[i]) <= t)) {
                fail(what + " element " + i + ": got " + got[off + i] + " expected " + ref[i]);
            }
        }
    }

    @Test
    void rmsNorm() {
        Random rnd = new Random(1);
        for (int n : LENGTHS) {
            int xo = rnd.nextInt(4), wo = rnd.nextInt(4), oo = rnd.nextInt(4);
            float[] x = gaussian(rnd, n + xo, 3);
            float[] w = gaussian(rnd, n + wo, 1);
            float[] out = new float[n + oo];
            float eps = 1e-5f;
            Norms.rmsNorm(out, oo, x, xo, w, wo, n, eps);
            double ss = 0;
            for (int i = 0; i < n; i++) {
                ss += (double) x[xo + i] * x[xo + i];
            }
            double inv = 1 / Math.sqrt(ss / n + eps);
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) {
                ref[i] = x[xo + i] * inv * w[wo + i];
            }
            assertClose("rmsNorm n=" + n, ref, out, oo, TOL);
            float[] same = Arrays.copyOfRange(x, xo, xo + n);
            Norms.rmsNorm(same, 0, same, 0, null, 0, n, eps);
            for (int i = 0; i < n; i++) {
                ref[i] = x[xo + i] * inv;
            }
            assertClose("rmsNorm in place, no weight, n=" + n, ref, same, 0, TOL);
        }
    }

    @Test
    void layerNorm() {
        Random rnd = new Random(2);
        for (int n : LENGTHS) {
            int xo = rnd.nextInt(4), po = rnd.nextInt(4), oo = rnd.nextInt(4);
            float[] x = gaussian(rnd, n + xo, 2);
            for (int i = 0; i < x.length; i++) {
                x[i] += 5; // a large mean tests the centred variance
            }
            float[] w = gaussian(rnd, n + po, 1);
            float[] b = gaussian(rnd, n + po, 1);
            float[] out = new float[n + oo];
            float eps = 1e-5f;
            Norms.layerNorm(out, oo, x, xo, w, b, po, n, eps);
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += x[xo + i];
            }
            mean /= n;
            double var = 0;
            for (int i = 0; i < n; i++) {
                var += (x[xo + i] - mean) * (x[xo + i] - mean);
            }
            var /= n;
            double inv = 1 / Math.sqrt(var + eps);
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) {
                ref[i] = (x[xo + i] - mean) * inv * w[po + i] + b[po + i];
            }
            assertClose("layerNorm n=" + n, ref, out, oo, 1e-5);
        }
    }

    @Test
    void softmax() {
        Random rnd = new Random(3);
        for (int n : LENGTHS) {
            int off = rnd.nextInt(4);
            float[] x = gaussian(rnd, n + off + 2, 10);
            x[off] += 80; // large values must not overflow
            float[] before = x.clone();
            Activations.softmax(x, off, n);
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, before[off + i]);
            }
            double sum = 0;
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) {
                ref[i] = Math.exp(before[off + i] - max);
                sum += ref[i];
            }
            for (int i = 0; i < n; i++) {
                ref[i] /= sum;
            }
            assertClose("softmax n=" + n, ref, x, off, TOL);
            for (int i = 0; i < off; i++) {
                assertEquals(before[i], x[i], "outside the range");
            }
            assertEquals(before[off + n], x[off + n], "outside the range");
        }
    }

    private static void checkUnary(String name, DoubleUnaryOperator ref, java.util.function.BiConsumer<float[], int[]> kernel, double tol) {
        Random rnd = new Random(name.hashCode());
        for (int n : LENGTHS) {
            int off = rnd.nextInt(4);
            float[] x = gaussian(rnd, n + off, 4);
            float[] before = x.clone();
            kernel.accept(x, new int[] {off, n});
            double[] r = new double[n];
            for (int i = 0; i < n; i++) {
                r[i] = ref.applyAsDouble(before[off + i]);
            }
            assertClose(name + " n=" + n, r, x, off, tol);
        }
    }

    private static double silu(double v) {
        return v / (1 + Math.exp(-v));
    }

    @Test
    void silu() {
        checkUnary("silu", ElementwiseTest::silu, (x, a) -> Activations.silu(x, a[0], a[1]), TOL);
    }

    @Test
    void geluTanh() {
        double c = Math.sqrt(2 / Math.PI);
        checkUnary("geluTanh", v -> 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v))),
                (x, a) -> Activations.geluTanh(x, a[0], a[1]), TOL);
    }

    /** erf by its Maclaurin series in double (exact enough for |x| < 5; beyond, erf is ±1 in double to 1e-11). */
    static double erfReference(double x) {
        if (Math.abs(x) >= 5) {
            return Math.signum(x);
        }
        double sum = 0;
        double term = x;
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @Test
    void geluErf() {
        checkUnary("geluErf", v -> 0.5 * v * (1 + erfReference(v / Math.sqrt(2))), (x, a) -> Activations.geluErf(x, a[0], a[1]), TOL);
        for (double v = -6; v <= 6; v += 0.01) {
            assertEquals(erfReference(v), Activations.erf((float) v), 3e-7, "erf(" + v + ")");
        }
    }

    @Test
    void binaryOps() {
        Random rnd = new Random(5);
        for (int n : LENGTHS) {
            int ao = rnd.nextInt(4), bo = rnd.nextInt(4), oo = rnd.nextInt(4);
            float[] a = gaussian(rnd, n + ao, 2);
            float[] b = gaussian(rnd, n + bo, 2);
            float[] out = new float[n + oo];
            double[] ref = new double[n];
            Activations.swiglu(out, oo, a, ao, b, bo, n);
            for (int i = 0; i < n; i++) {
                ref[i] = silu(a[ao + i]) * b[bo + i];
            }
            assertClose("swiglu n=" + n, ref, out, oo, TOL);
            Activations.add(out, oo, a, ao, b, bo, n);
            for (int i = 0; i < n; i++) {
                ref[i] = (double) a[ao + i] + b[bo + i];
            }
            assertClose("add n=" + n, ref, out, oo, 1e-7);
            Activations.mul(out, oo, a, ao, b, bo, n);
            for (int i = 0; i < n; i++) {
                ref[i] = (double) a[ao + i] * b[bo + i];
            }
            assertClose("mul n=" + n, ref, out, oo, 1e-7);
            float[] s = a.clone();
            Activations.scale(s, ao, n, 0.37f);
            for (int i = 0; i < n; i++) {
                ref[i] = a[ao + i] * 0.37;
            }
            assertClose("scale n=" + n, ref, s, ao, 1e-7);
            float[] y = b.clone();
            Activations.axpy(-1.5f, a, ao, y, bo, n);
            for (int i = 0; i < n; i++) {
                ref[i] = b[bo + i] - 1.5 * a[ao + i];
            }
            assertClose("axpy n=" + n, ref, y, bo, 1e-7);
        }
    }

    private static double[] ropeReference(float[] x, int off, int headDim, int rotaryDim, int pos, double base, float[] ff,
                                          boolean neox) {
        double[] r = new double[headDim];
        for (int i = 0; i < headDim; i++) {
            r[i] = x[off + i];
        }
        int half = rotaryDim / 2;
        for (int i = 0; i < half; i++) {
            double angle = pos * Math.pow(base, -2.0 * i / rotaryDim) / (ff == null ? 1 : ff[i]);
            int a = neox ? i : 2 * i;
            int b = neox ? i + half : 2 * i + 1;
            double xa = x[off + a];
            double xb = x[off + b];
            r[a] = xa * Math.cos(angle) - xb * Math.sin(angle);
            r[b] = xa * Math.sin(angle) + xb * Math.cos(angle);
        }
        return r;
    }

    @Test
    void ropeBothLayouts() {
        Random rnd = new Random(6);
        int[][] dims = {{2, 2}, {8, 8}, {64, 64}, {64, 32}, {80, 40}, {128, 128}, {96, 64}, {6, 4}};
        for (int[] d : dims) {
            for (boolean neox : new boolean[] {false, true}) {
                int headDim = d[0], rotaryDim = d[1], heads = 1 + rnd.nextInt(3), off = rnd.nextInt(3);
                int pos = rnd.nextInt(5000);
                double base = rnd.nextBoolean() ? 10000 : 500000;
                float[] ff = null;
                if (rnd.nextBoolean()) {
                    ff = new float[rotaryDim / 2];
                    for (int i = 0; i < ff.length; i++) {
                        ff[i] = 1 + rnd.nextFloat() * 7;
                    }
                }
                float[] x = gaussian(rnd, off + heads * headDim, 1);
                float[] before = x.clone();
                float[] cos = new float[rotaryDim / 2];
                float[] sin = new float[rotaryDim / 2];
                Rope.angles(pos, rotaryDim, base, ff, cos, sin);
                if (neox) {
                    Rope.rotateNeox(x, off, heads, headDim, rotaryDim, cos, sin);
                } else {
                    Rope.rotateInterleaved(x, off, heads, headDim, rotaryDim, cos, sin);
                }
                for (int h = 0; h < heads; h++) {
                    double[] ref = ropeReference(before, off + h * headDim, headDim, rotaryDim, pos, base, ff, neox);
                    // angles up to 5000 rad lose ~5000 * 2^-53 in double and float rounding of cos/sin: 1e-6 relative
                    assertClose((neox ? "neox" : "interleaved") + " head " + h + " dims " + Arrays.toString(d), ref, x,
                            off + h * headDim, 2e-6);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Rope.rotateNeox(new float[8], 0, 1, 4, 6, new float[3], new float[3]));
        assertThrows(IllegalArgumentException.class, () -> Rope.angles(0, 3, 10000, null, new float[2], new float[2]));
    }
}
