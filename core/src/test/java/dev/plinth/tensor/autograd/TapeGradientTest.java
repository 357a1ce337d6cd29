package dev.plinth.tensor.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.tensor.DType;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.RopeLayout;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every op's backward against central finite differences of {@code Σ cᵢ·outᵢ} (random c, sums in
 * double) on small seeded inputs. The forward runs in float, so differences use a step of 1e-2 and
 * the check is on the relative L2 error of the whole gradient, with the bound stated per op.
 */
class TapeGradientTest {
    private static final double H = 1e-2;

    @FunctionalInterface
    interface Op {
        Variable apply(Tape tape, Variable[] in);
    }

    static Variable param(SplittableRandom rnd, String name, double scale, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * scale);
        }
        return Variable.parameter(name, x, shape);
    }

    /** Returns the worst relative L2 error over the inputs, after asserting it is at most {@code tol}. */
    static double check(String what, Op op, double tol, Variable... in) {
        SplittableRandom rnd = new SplittableRandom(what.hashCode());
        for (Variable v : in) {
            v.zeroGrad();
        }
        Tape tape = new Tape();
        Variable out = op.apply(tape, in);
        float[] c = new float[out.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = (float) rnd.nextGaussian();
        }
        tape.backward(out, c);
        assertEquals(0, tape.pending());
        double worst = 0;
        for (Variable v : in) {
            if (!v.requiresGrad()) {
                continue;
            }
            float[] an = v.grad() == null ? new float[v.size()] : v.grad().clone();
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < v.size(); i++) {
                float saved = v.data()[i];
                v.data()[i] = (float) (saved + H);
                double plus = weighted(op, in, c);
                v.data()[i] = (float) (saved - H);
                double minus = weighted(op, in, c);
                v.data()[i] = saved;
                double num = (plus - minus) / (2 * H);
                diff += (num - an[i]) * (num - an[i]);
                norm += num * num;
            }
            double rel = Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12);
            System.out.printf("gradcheck %-28s %-6s rel L2 error %.3e (|grad| %.3e)%n", what, v.name(), rel,
                    Math.sqrt(norm));
            assertTrue(norm > 0, what + ": gradient of " + v.name() + " is zero, the check would be vacuous");
            assertTrue(rel <= tol, what + ": gradient of " + v.name() + " has relative error " + rel + " > " + tol);
            worst = Math.max(worst, rel);
        }
        return worst;
    }

    private static double weighted(Op op, Variable[] in, float[] c) {
        Variable out = op.apply(new Tape(), in);
        double s = 0;
        for (int i = 0; i < c.length; i++) {
            s += (double) c[i] * out.data()[i];
        }
        return s;
    }

    @Test
    void embeddingAccumulatesRepeatedRows() {
        SplittableRandom rnd = new SplittableRandom(1);
        Variable table = param(rnd, "table", 1, 10, 6);
        int[] ids = {3, 0, 3, 9, 3, 5};
        check("embedding", (t, in) -> t.embedding(in[0], ids), 1e-5, table);
        Tape tape = new Tape();
        table.zeroGrad();
        float[] ones = new float[ids.length * 6];
        java.util.Arrays.fill(ones, 1f);
        tape.backward(tape.embedding(table, ids), ones);
        assertEquals(3f, table.grad()[3 * 6]);
        assertEquals(0f, table.grad()[6]);
    }

    @Test
    void linear() {
        SplittableRandom rnd = new SplittableRandom(2);
        check("linear", (t, in) -> t.linear(in[0], in[1]), 2e-4, param(rnd, "x", 1, 5, 7),
                param(rnd, "w", 1, 4, 7));
        // wider than a GEMM tile in every dimension, several threads' worth of rows
        check("linear 37x29 by 23x29", (t, in) -> t.linear(in[0], in[1]), 2e-4, param(rnd, "x", 1, 37, 29),
                param(rnd, "w", 1, 23, 29));
    }

    @Test
    void frozenLinearGivesTheActivationsTheirGradientOnly() {
        SplittableRandom rnd = new SplittableRandom(12);
        Variable w = param(rnd, "w", 1, 6, 64);
        for (DType type : new DType[] {DType.F32, DType.F16, DType.Q8_0, DType.Q4_0}) {
            Tensor frozen = Quantization.quantize(Tensor.ofFloats("w", w.data().clone(), 6, 64), type);
            // Q8-rounded activations make a quantized product a step function of x, which finite
            // differences cannot follow: the backward must be the gradient of the product with the
            // decoded weights (checked by finite differences in linear())
            Variable decoded = Variable.constant("w", Quantization.toF32(frozen).data().toArray(ValueLayout.JAVA_FLOAT), 6, 64);
            Variable x = param(rnd, "x", 1, 5, 64);
            Tape tape = new Tape();
            Variable out = tape.linear(x, frozen);
            float[] c = new float[out.size()];
            java.util.Arrays.fill(c, 1f);
            tape.backward(out, c);
            float[] frozenGrad = x.grad().clone();
            x.zeroGrad();
            Tape again = new Tape();
            again.backward(again.linear(x, decoded), c);
            for (int i = 0; i < frozenGrad.length; i++) {
                assertEquals(x.grad()[i], frozenGrad[i], 1e-5, type + " dX at " + i);
            }
        }
    }

    @Test
    void loraLinearEqualsItsPartsAndMatchesFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(15);
        Variable w = param(rnd, "w", 1, 6, 8);
        Tensor frozen = Tensor.ofFloats("w", w.data().clone(), 6, 8);
        Variable wConstant = Variable.constant("w", w.data().clone(), 6, 8);
        Variable x = param(rnd, "x", 1, 5, 8);
        Variable a = param(rnd, "a", 1, 3, 8);
        Variable b = param(rnd, "b", 1, 6, 3);
        check("loraLinear", (t, in) -> t.loraLinear(in[0], in[0], frozen, in[1], in[2], 1.5f), 2e-4, x, a, b);
        check("loraLinear after dropout", (t, in) -> t.loraLinear(in[0], t.dropout(in[0], 0.4, 3), frozen, in[1], in[2], 0.5f),
                2e-4, x, a, b);
        float[] fused = new Tape().loraLinear(x, x, frozen, a, b, 1.5f).data();
        Tape t = new Tape();
        float[] parts = t.add(t.linear(x, wConstant), t.scale(t.linear(t.linear(x, a), b), 1.5f)).data();
        for (int i = 0; i < fused.length; i++) {
            assertEquals(parts[i], fused[i], 1e-5);
        }
    }

    @Test
    void scaleDropoutAndRows() {
        SplittableRandom rnd = new SplittableRandom(13);
        check("scale", (t, in) -> t.scale(in[0], 2.5f), 1e-5, param(rnd, "x", 1, 3, 5));
        check("dropout 0.3", (t, in) -> t.dropout(in[0], 0.3, 42), 1e-5, param(rnd, "x", 1, 6, 9));
        check("rows", (t, in) -> t.rows(in[0], new int[] {2, 0, 2}), 1e-5, param(rnd, "x", 1, 4, 5));
        Variable x = param(rnd, "x", 1, 100, 100);
        float[] a = new Tape().dropout(x, 0.25, 7).data();
        float[] b = new Tape().dropout(x, 0.25, 7).data();
        assertTrue(java.util.Arrays.equals(a, b), "the same seed gives the same mask");
        int dropped = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == 0) {
                dropped++;
            } else {
                assertEquals(x.data()[i] / 0.75f, a[i], 1e-6 * Math.abs(a[i]));
            }
        }
        assertTrue(Math.abs(dropped - 2500) < 200, dropped + " of 10,000 dropped at p = 0.25");
        assertTrue(!java.util.Arrays.equals(a, new Tape().dropout(x, 0.25, 8).data()), "another seed, another mask");
    }

    @Test
    void frozenEmbeddingDecodesRows() {
        SplittableRandom rnd = new SplittableRandom(14);
        Variable table = param(rnd, "table", 1, 10, 32);
        Tensor q8 = Quantization.quantize(Tensor.ofFloats("t", table.data().clone(), 10, 32), DType.Q8_0);
        float[] decoded = Quantization.toF32(q8).data().toArray(ValueLayout.JAVA_FLOAT);
        Variable rows = new Tape().embedding(q8, new int[] {3, 9});
        assertTrue(!rows.requiresGrad());
        for (int j = 0; j < 32; j++) {
            assertEquals(decoded[3 * 32 + j], rows.data()[j]);
            assertEquals(decoded[9 * 32 + j], rows.data()[32 + j]);
        }
    }

    @Test
    void addAndSwiglu() {
        SplittableRandom rnd = new SplittableRandom(3);
        check("add", (t, in) -> t.add(in[0], in[1]), 1e-5, param(rnd, "a", 1, 3, 8), param(rnd, "b", 1, 3, 8));
        check("swiglu", (t, in) -> t.swiglu(in[0], in[1]), 2e-4, param(rnd, "a", 2, 3, 8), param(rnd, "b", 1, 3, 8));
    }

    @Test
    void biasAndReshape() {
        SplittableRandom rnd = new SplittableRandom(11);
        check("addBias", (t, in) -> t.addBias(in[0], in[1]), 1e-5, param(rnd, "x", 1, 4, 6), param(rnd, "b", 1, 6));
        check("reshape then rmsNorm", (t, in) -> t.reshape(t.rmsNorm(t.reshape(in[0], 8, 3), in[1], 1e-5f), 4, 6),
                2e-4, param(rnd, "x", 1, 4, 6), param(rnd, "w", 1, 3));
    }

    @Test
    void rmsNorm() {
        SplittableRandom rnd = new SplittableRandom(4);
        check("rmsNorm", (t, in) -> t.rmsNorm(in[0], in[1], 1e-5f), 2e-4, param(rnd, "x", 1, 4, 8),
                param(rnd, "w", 1, 8));
    }

    @Test
    void ropeBothLayoutsAndPartialRotation() {
        SplittableRandom rnd = new SplittableRandom(5);
        int[] pos = {0, 3, 7, 1, 100};
        for (RopeLayout layout : RopeLayout.values()) {
            for (int rotary : new int[] {8, 4}) {
                check("rope " + layout + " rot " + rotary,
                        (t, in) -> t.rope(in[0], 2, 8, rotary, pos, 10000, null, layout), 1e-5,
                        param(rnd, "x", 1, 5, 16));
            }
        }
    }

    @Test
    void groupedQueryCausalAttention() {
        SplittableRandom rnd = new SplittableRandom(6);
        int batch = 2;
        int seq = 5;
        check("attention 4q/2kv heads", (t, in) -> t.causalAttention(in[0], in[1], in[2], batch, seq, 4, 2, 4), 2e-4,
                param(rnd, "q", 1, batch * seq, 16), param(rnd, "k", 1, batch * seq, 8),
                param(rnd, "v", 1, batch * seq, 8));
        check("attention 3q/3kv heads", (t, in) -> t.causalAttention(in[0], in[1], in[2], 1, 6, 3, 3, 4), 2e-4,
                param(rnd, "q", 1, 6, 12), param(rnd, "k", 1, 6, 12), param(rnd, "v", 1, 6, 12));
        check("attention window 3", (t, in) -> t.causalAttention(in[0], in[1], in[2], 2, 6, 4, 2, 4, 3), 2e-4,
                param(rnd, "q", 1, 12, 16), param(rnd, "k", 1, 12, 8), param(rnd, "v", 1, 12, 8));
    }

    /**
     * Sequences longer than one block of query rows (64), the last block partial, with and without a
     * window across blocks: outputs against attention computed row by row in double, gradients
     * against central differences of that double reference (finite differences of the float op
     * itself are too noisy over 150 positions).
     */
    @Test
    void attentionOverSeveralBlocks() {
        SplittableRandom rnd = new SplittableRandom(8);
        int seq = 150;
        int heads = 2;
        int kvHeads = 1;
        int hd = 4;
        for (int window : new int[] {0, 70}) {
            Variable[] in = {param(rnd, "q", 1, seq, heads * hd), param(rnd, "k", 1, seq, kvHeads * hd),
                    param(rnd, "v", 1, seq, kvHeads * hd)};
            Tape tape = new Tape();
            Variable out = tape.causalAttention(in[0], in[1], in[2], 1, seq, heads, kvHeads, hd, window);
            double[] expected = referenceAttention(in, seq, heads, kvHeads, hd, window);
            float[] c = new float[out.size()];
            for (int i = 0; i < c.length; i++) {
                c[i] = (float) rnd.nextGaussian();
                assertEquals(expected[i], out.data()[i], 1e-5, "output " + i + " with window " + window);
            }
            tape.backward(out, c);
            for (Variable v : in) {
                double diff = 0;
                double norm = 0;
                for (int i = 0; i < v.size(); i++) {
                    float saved = v.data()[i];
                    v.data()[i] = saved + 1e-2f;
                    double plus = dot(c, referenceAttention(in, seq, heads, kvHeads, hd, window));
                    v.data()[i] = saved - 1e-2f;
                    double minus = dot(c, referenceAttention(in, seq, heads, kvHeads, hd, window));
                    v.data()[i] = saved;
                    double num = (plus - minus) / ((double) (saved + 1e-2f) - (double) (saved - 1e-2f));
                    diff += (num - v.grad()[i]) * (num - v.grad()[i]);
                    norm += num * num;
                }
                double rel = Math.sqrt(diff / norm);
                assertTrue(rel < 1e-4, "window " + window + ": gradient of " + v.name() + " has relative error " + rel);
            }
        }
    }

    private static double dot(float[] c, double[] y) {
        double s = 0;
        for (int i = 0; i < c.length; i++) {
            s += c[i] * y[i];
        }
        return s;
    }

    /** Grouped-query causal attention of one sequence, one query row at a time, in double. */
    private static double[] referenceAttention(Variable[] in, int seq, int heads, int kvHeads, int hd, int window) {
        float[] q = in[0].data();
        float[] k = in[1].data();
        float[] v = in[2].data();
        double[] y = new double[seq * heads * hd];
        for (int h = 0; h < heads; h++) {
            int kvOff = h / (heads / kvHeads) * hd;
            for (int t = 0; t < seq; t++) {
                int first = window > 0 ? Math.max(0, t - window + 1) : 0;
                double[] p = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int u = first; u <= t; u++) {
                    for (int d = 0; d < hd; d++) {
                        p[u] += (double) q[t * heads * hd + h * hd + d] * k[u * kvHeads * hd + kvOff + d];
                    }
                    p[u] /= Math.sqrt(hd);
                    max = Math.max(max, p[u]);
                }
                double sum = 0;
                for (int u = first; u <= t; u++) {
                    p[u] = Math.exp(p[u] - max);
                    sum += p[u];
                }
                for (int u = first; u <= t; u++) {
                    for (int d = 0; d < hd; d++) {
                        y[t * heads * hd + h * hd + d] += p[u] / sum * v[u * kvHeads * hd + kvOff + d];
                    }
                }
            }
        }
        return y;
    }

    @Test
    void attentionIsCausal() {
        SplittableRandom rnd = new SplittableRandom(7);
        Variable q = param(rnd, "q", 1, 4, 8);
        Variable k = param(rnd, "k", 1, 4, 8);
        Variable v = param(rnd, "v", 1, 4, 8);
        float[] before = new Tape().causalAttention(q, k, v, 1, 4, 2, 2, 4).data();
        k.data()[3 * 8] += 5f;
        v.data()[3 * 8 + 1] += 5f;
        float[] after = new Tape().causalAttention(q, k, v, 1, 4, 2, 2, 4).data();
        for (int i = 0; i < 3 * 8; i++) {
            assertEquals(before[i], after[i], "row " + i / 8 + " must not see the last position");
        }
    }

    @Test
    void crossEntropyWithIgnoredTargets() {
        SplittableRandom rnd = new SplittableRandom(8);
        int[] targets = {2, -100, 9, 0, -100, 4};
        check("crossEntropy", (t, in) -> t.crossEntropy(in[0], targets, -100), 1e-3, param(rnd, "logits", 2, 6, 10));
        Variable logits = param(rnd, "logits", 2, 6, 10);
        Tape tape = new Tape();
        tape.backward(tape.crossEntropy(logits, targets, -100));
        for (int j = 0; j < 10; j++) {
            assertEquals(0f, logits.grad()[10 + j], "an ignored row gets no gradient");
        }
        // the loss is the mean of -log softmax over the four counted rows, computed here in double
        double expected = 0;
        for (int r = 0; r < 6; r++) {
            if (targets[r] == -100) {
                continue;
            }
            double sum = 0;
            for (int j = 0; j < 10; j++) {
                sum += Math.exp(logits.data()[r * 10 + j]);
            }
            expected += Math.log(sum) - logits.data()[r * 10 + targets[r]];
        }
        assertEquals(expected / 4, new Tape().crossEntropy(logits, targets, -100).data()[0], 1e-6);
        assertEquals(0f, new Tape().crossEntropy(logits, new int[] {-100, -100, -100, -100, -100, -100}, -100)
                .data()[0]);
        assertThrows(IllegalArgumentException.class,
                () -> new Tape().crossEntropy(logits, new int[] {0, 1, 2, 3, 4, 10}, -100));
    }

    @Test
    void backwardReleasesIntermediateGradientsAndRecords() {
        SplittableRandom rnd = new SplittableRandom(9);
        Variable x = param(rnd, "x", 1, 3, 8);
        Variable w = param(rnd, "w", 1, 8);
        Tape tape = new Tape();
        Variable n = tape.rmsNorm(x, w, 1e-5f);
        Variable s = tape.swiglu(n, n);
        Variable loss = tape.crossEntropy(s, new int[] {1, 2, 3}, -1);
        assertEquals(3, tape.pending());
        tape.backward(loss);
        assertEquals(0, tape.pending());
        assertNull(n.grad());
        assertNull(s.grad());
        assertTrue(x.grad() != null && w.grad() != null);
    }

    @Test
    void activationsBecomeUnreachableOnceBackwardConsumedThem() throws InterruptedException {
        SplittableRandom rnd = new SplittableRandom(12);
        Variable x = param(rnd, "x", 1, 64, 32);
        Variable w = param(rnd, "w", 1, 32);
        Variable proj = param(rnd, "proj", 1, 16, 32);
        Tape tape = new Tape();
        Variable[] logits = new Variable[1];
        // the normalized activations are held only by the tape's records once this returns
        java.lang.ref.WeakReference<Object> held = heldActivation(tape, x, w, proj, logits);
        Variable loss = tape.crossEntropy(logits[0], new int[64], -1);
        System.gc();
        assertTrue(held.get() != null, "the tape must keep what backward still needs");
        tape.backward(loss);
        for (int i = 0; i < 50 && held.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(held.get(), "after backward nothing should hold the activation");
    }

    /** Records rmsNorm → linear on {@code tape} (logits into {@code out[0]}); a weak reference to the norm's output. */
    private static java.lang.ref.WeakReference<Object> heldActivation(Tape tape, Variable x, Variable w, Variable proj,
                                                                     Variable[] out) {
        Variable n = tape.rmsNorm(x, w, 1e-5f);
        out[0] = tape.linear(n, proj);
        return new java.lang.ref.WeakReference<>(n.data());
    }

    @Test
    void rejectsMismatchedShapes() {
        SplittableRandom rnd = new SplittableRandom(10);
        Tape t = new Tape();
        assertThrows(IllegalArgumentException.class, () -> t.linear(param(rnd, "x", 1, 2, 3), param(rnd, "w", 1, 3, 4)));
        assertThrows(IllegalArgumentException.class, () -> t.add(param(rnd, "a", 1, 2, 3), param(rnd, "b", 1, 3, 2)));
        assertThrows(IllegalArgumentException.class, () -> t.embedding(param(rnd, "e", 1, 4, 2), new int[] {4}));
        assertThrows(IllegalArgumentException.class, () -> t.causalAttention(param(rnd, "q", 1, 2, 12),
                param(rnd, "k", 1, 2, 8), param(rnd, "v", 1, 2, 8), 1, 2, 3, 2, 4));
        assertThrows(IllegalArgumentException.class, () -> Variable.parameter("p", new float[3], 2, 2));
    }
}
