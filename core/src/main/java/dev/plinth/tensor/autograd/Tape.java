package dev.plinth.tensor.autograd;

import dev.plinth.tensor.Activations;
import dev.plinth.tensor.MatMul;
import dev.plinth.tensor.Norms;
import dev.plinth.tensor.Parallel;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Rope;
import dev.plinth.tensor.RopeLayout;
import dev.plinth.tensor.Softmax;
import dev.plinth.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reverse-mode automatic differentiation: every op records how to push its output's gradient back
 * to its inputs, and {@link #backward} replays those records newest first. Each record is dropped
 * as soon as it ran, together with the activations it held, and an intermediate's gradient is
 * dropped once its producer consumed it, so memory falls while backward proceeds.
 *
 * <p>The ops are those of a llama-family decoder, over row-major F32 {@link Variable}s:
 * {@link #embedding}, {@link #linear} (X·Wᵀ), {@link #rmsNorm}, {@link #rope},
 * {@link #causalAttention} (grouped-query), {@link #swiglu}, {@link #add} and
 * {@link #crossEntropy}; for fine-tuning, a frozen weight {@link Tensor} in its own dtype
 * ({@link #embedding(Tensor, int[])}, {@link #linear(Variable, Tensor)}: gradients reach the
 * activations only) and with a LoRA pair ({@link #loraLinear}), {@link #scale}, {@link #dropout}
 * and {@link #rows} (a gather). A tape serves one forward and one backward pass; it is not thread-safe
 * (each op already uses every core).
 */
public final class Tape {

    /** Pushes the gradient of one op's output back to its inputs. */
    @FunctionalInterface
    private interface Node {
        void backward();
    }

    private final List<Node> nodes = new ArrayList<>();
    private final boolean recording;
    private int live;

    /** A tape that records every op for {@link #backward}. */
    public Tape() {
        this(true);
    }

    private Tape(boolean recording) {
        this.recording = recording;
    }

    /**
     * A tape that computes ops but records nothing (evaluation): each activation is garbage as
     * soon as the caller drops it, and {@link #backward} is refused.
     */
    public static Tape noGrad() {
        return new Tape(false);
    }

    /** A segment of ops from one input to one output, run again on demand by {@link #recomputed}. */
    @FunctionalInterface
    public interface Segment {
        Variable apply(Tape tape, Variable input);
    }

    /**
     * Runs {@code segment} on {@code input} without keeping its activations (activation
     * checkpointing): only the output is held, and during backward the segment runs a second
     * time on a fresh tape from the same input, whose backward then delivers the gradients of
     * the input and of every parameter the segment reads. The ops are deterministic, so the
     * recomputed activations, and hence the gradients, equal those of a recorded run.
     */
    public Variable recomputed(Variable input, Segment segment) {
        Variable y = segment.apply(noGrad(), input);
        Variable out = new Variable("recomputed", y.data(), y.shape(), y.requiresGrad());
        record(out, () -> {
            float[] g = take(out);
            if (g == null) {
                return;
            }
            Tape replay = new Tape();
            Variable in = new Variable(input.name(), input.data(), input.shape(), input.requiresGrad());
            Variable again = segment.apply(replay, in);
            replay.backward(again, g);
            if (input.requiresGrad() && in.grad() != null) {
                Kernels.addInto(input.gradForAccumulation(), in.grad());
            }
        });
        return out;
    }

    /** Records that the tape has not replayed yet. */
    public int pending() {
        return live;
    }

    /**
     * Back-propagates from a one-element {@code loss} (seeded with gradient 1), accumulating into
     * every parameter's gradient; the tape is empty afterwards.
     */
    public void backward(Variable loss) {
        backward(loss, 1f);
    }

    /**
     * Back-propagates {@code scale · loss}: with gradient accumulation over n micro-batches, each
     * micro-batch's mean loss goes back with scale 1/n, and the parameters' gradients add up.
     */
    public void backward(Variable loss, float scale) {
        if (loss.size() != 1) {
            throw new IllegalArgumentException("backward needs a scalar loss, got " + loss);
        }
        backward(loss, new float[] {scale});
    }

    /**
     * Back-propagates {@code outputGrad} (the gradient of some scalar with respect to
     * {@code output}, same size) through every recorded op; the tape is empty afterwards.
     */
    public void backward(Variable output, float[] outputGrad) {
        if (!recording) {
            throw new IllegalStateException("a no-grad tape recorded nothing to back-propagate");
        }
        if (outputGrad.length != output.size()) {
            throw new IllegalArgumentException("gradient of " + outputGrad.length + " values for " + output);
        }
        if (!output.requiresGrad()) {
            throw new IllegalArgumentException(output + " depends on no parameter");
        }
        Kernels.addInto(output.gradForAccumulation(), outputGrad);
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.set(i, null);
            live--;
            n.backward();
        }
        nodes.clear();
    }

    private Variable result(String name, float[] data, int[] shape, Variable... inputs) {
        boolean grad = false;
        for (Variable v : inputs) {
            grad |= v.requiresGrad();
        }
        return new Variable(name, data, shape, grad);
    }

    private void record(Variable out, Node node) {
        if (recording && out.requiresGrad()) {
            nodes.add(node);
            live++;
        }
    }

    /** The output's gradient, released from the variable (its producer is its only consumer). */
    private static float[] take(Variable out) {
        float[] g = out.grad();
        out.zeroGrad();
        return g;
    }

    // ---- embedding ----

    /** Rows {@code ids[i]} of {@code table [vocab, h]} as {@code [ids.length, h]}; backward adds into those rows only. */
    public Variable embedding(Variable table, int[] ids) {
        rank(table, 2, "embedding table");
        int vocab = table.dim(0);
        int h = table.dim(1);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("token id " + ids[i] + " at " + i + " is outside [0, " + vocab + ")");
            }
        }
        float[] t = table.data();
        float[] y = new float[Math.multiplyExact(ids.length, h)];
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(t, ids[i] * h, y, i * h, h);
        }
        int[] idsCopy = ids.clone();
        Variable out = result("embedding", y, new int[] {ids.length, h}, table);
        record(out, () -> {
            float[] g = take(out);
            if (g == null) {
                return;
            }
            float[] dt = table.gradForAccumulation();
            for (int i = 0; i < idsCopy.length; i++) {
                Activations.add(dt, idsCopy[i] * h, dt, idsCopy[i] * h, g, i * h, h);
            }
        });
        return out;
    }

    /**
     * Rows {@code ids[i]} of a frozen table {@code [vocab, h]} in any dtype {@link Quantization}
     * decodes, as {@code [ids.length, h]}; a constant (no gradient flows into a frozen table).
     */
    public Variable embedding(Tensor table, int[] ids) {
        if (table.rank() != 2) {
            throw new IllegalArgumentException("embedding table " + table + " should have rank 2");
        }
        long vocab = table.dim(0);
        int h = Math.toIntExact(table.dim(1));
        long rowBytes = table.dtype().byteSize(h);
        float[] y = new float[Math.multiplyExact(ids.length, h)];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("token id " + ids[i] + " at " + i + " is outside [0, " + vocab + ")");
            }
            Quantization.dequantize(table.dtype(), table.data(), ids[i] * rowBytes, y, i * h, h);
        }
        return Variable.constant("embedding", y, ids.length, h);
    }

    // ---- linear ----

    /** {@code x [m, k] · wᵀ} for {@code w [n, k]}: {@code [m, n]}. Backward is two GEMMs. */
    public Variable linear(Variable x, Variable w) {
        rank(x, 2, "linear input");
        rank(w, 2, "linear weight");
        int m = x.dim(0);
        int k = x.dim(1);
        int n = w.dim(0);
        if (w.dim(1) != k) {
            throw new IllegalArgumentException("linear: " + x + " · " + w + "ᵀ has mismatched inner sizes");
        }
        float[] y = new float[Math.multiplyExact(m, n)];
        MatMul.gemm(false, true, x.data(), w.data(), y, m, n, k, false);
        Variable out = result("linear", y, new int[] {m, n}, x, w);
        record(out, () -> {
            float[] g = take(out);
            if (g == null) {
                return;
            }
            if (x.requiresGrad()) {
                // dX[m,k] += dY[m,n] · W[n,k]
                MatMul.gemm(false, false, g, w.data(), x.gradForAccumulation(), m, k, n, true);
            }
            if (w.requiresGrad()) {
                // dW[n,k] += dYᵀ[n,m] · X[m,k]
                MatMul.gemm(true, false, g, x.data(), w.gradForAccumulation(), n, k, m, true);
            }
        });
        return out;
    }

    /**
     * {@code x [m, k] · wᵀ} for a frozen weight {@code w [n, k]} in any dtype {@link MatMul#matmul}
     * takes, computed as inference computes it (quantized weights meet Q8-rounded activations).
     * Backward gives the activations their gradient {@code dX = dY·W} (blocks decoded on the fly,
     * {@link MatMul#inputGradient}) and the weight none.
     */
    public Variable linear(Variable x, Tensor w) {
        rank(x, 2, "linear input");
        int m = x.dim(0);
        int k = x.dim(1);
        if (w.rank() != 2 || w.dim(1) != k) {
            throw new IllegalArgumentException("linear: " + x + " · " + w + "ᵀ has mismatched inner sizes");
        }
        int n = Math.toIntExact(w.dim(0));
        float[] y = new float[Math.multiplyExact(m, n)];
        MatMul.matmul(w, x.data(), m, y);
        Variable out = result("frozenLinear", y, new int[] {m, n}, x);
        record(out, () -> {
            float[] g = take(out);
            if (g != null) {
                MatMul.inputGradient(w, g, m, x.gradForAccumulation(), true);
            }
        });
        return out;
    }

    /**
     * A frozen weight with a LoRA pair, as one op: {@code x·Wᵀ + scale·(xLora·Aᵀ)·Bᵀ} for {@code W [n, k]}
     * in any dtype {@link #linear(Variable, Tensor)} takes, {@code a [r, k]} and {@code b [n, r]};
     * {@code xLora} is {@code x}, or {@code x} after dropout. Only the {@code [m, r]} middle product
     * is kept for backward, which gives x its gradient through W and through the pair, and A and B
     * theirs; W gets none.
     */
    public Variable loraLinear(Variable x, Variable xLora, Tensor w, Variable a, Variable b, float scale) {
        rank(x, 2, "lora input");
        sameShape(x, xLora, "lora inputs");
        int m = x.dim(0);
        int k = x.dim(1);
        int r = a.dim(0);
        int n = Math.toIntExact(w.dim(0));
        if (w.rank() != 2 || w.dim(1) != k || a.dim(1) != k || b.dim(0) != n || b.dim(1) != r) {
            throw new IllegalArgumentException("lora: " + x + " with " + w + ", A " + a + " and B " + b + " do not fit");
        }
        float[] y = new float[Math.multiplyExact(m, n)];
        MatMul.matmul(w, x.data(), m, y);
        float[] hs = new float[Math.multiplyExact(m, r)];
        MatMul.gemm(false, true, xLora.data(), a.data(), hs, m, r, k, false);
        for (int i = 0; i < hs.length; i++) {
            hs[i] *= scale;
        }
        MatMul.gemm(false, true, hs, b.data(), y, m, n, r, true);
        Variable out = result("loraLinear", y, new int[] {m, n}, x, xLora, a, b);
        record(out, () -> {
            float[] g = take(out);
            if (g == null) {
                return;
            }
            if (x.requiresGrad()) {
                MatMul.inputGradient(w, g, m, x.gradForAccumulation(), true);
            }
            if (b.requiresGrad()) {
                // dB[n,r] += dYᵀ · (scale·H)
                MatMul.gemm(true, false, g, hs, b.gradForAccumulation(), n, r, m, true);
            }
            if (!a.requiresGrad() && !xLora.requiresGrad()) {
                return;
            }
            // dH[m,r] = scale · dY · B
            float[] dh = new float[hs.length];
            MatMul.gemm(false, false, g, b.data(), dh, m, r, n, false);
            for (int i = 0; i < dh.length; i++) {
                dh[i] *= scale;
            }
            if (a.requiresGrad()) {
                MatMul.gemm(true, false, dh, xLora.data(), a.gradForAccumulation(), r, k, m, true);
            }
            if (xLora.requiresGrad()) {
                MatMul.gemm(false, false, dh, a.data(), xLora.gradForAccumulation(), m, k, r, true);
            }
        });
        return out;
    }

    /** {@code s · x}. */
    public Variable scale(Variable x, float s) {
        float[] y = new float[x.size()];
        float[] xv = x.data();
        for (int i = 0; i < y.length; i++) {
            y[i] = s * xv[i];
        }
        Variable out = result("scale", y, x.shape(), x);
        record(out, () -> {
            float[] g = take(out);
            if (g != null) {
                float[] dx = x.gradForAccumulation();
                for (int i = 0; i < g.length; i++) {
                    dx[i] += s * g[i];
                }
            }
        });
        return out;
    }

    /**
     * Inverted dropout: each element is zeroed with probability {@code p} and the others scaled by
     * {@code 1/(1 − p)}, as {@code torch.nn.Dropout} does in training. The mask is a function of
     * {@code seed} and the element's index alone (a SplitMix64 hash), so it repeats exactly.
     */
    public Variable dropout(Variable x, double p, long seed) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), was " + p);
        }
        if (p == 0) {
            return x;
        }
        float keepScale = (float) (1 / (1 - p));
        float[] mask = new float[x.size()];
        float[] y = new float[x.size()];
        float[] xv = x.data();
        Parallel.parallelFor(mask.length, 4096, (s, e) -> {
            for (int i = s; i < e; i++) {
                double u = (mix(seed + (i + 1) * 0x9E3779B97F4A7C15L) >>> 11) * 0x1.0p-53;
                mask[i] = u < p ? 0f : keepScale;
                y[i] = xv[i] * mask[i];
            }
        });
        Variable out = result("dropout", y, x.shape(), x);
        record(out, () -> {
            float[] g = take(out);
            if (g != null) {
                float[] dx = x.gradForAccumulation();
                for (int i = 0; i < g.length; i++) {
                    dx[i] += g[i] * mask[i];
                }
            }
        });
        return out;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Rows {@code index[i]} of {@code x [m, n]} as {@code [index.length, n]}; backward adds into those rows. */
    public Variable rows(Variable x, int[] index) {
        rank(x, 2, "rows input");
        int m = x.dim(0);
        int n = x.dim(1);
        int[] at = index.clone();
        float[] y = new float[Math.multiplyExact(at.length, n)];
        for (int i = 0; i < at.length; i++) {
            if (at[i] < 0 || at[i] >= m) {
                throw new IllegalArgumentException("row " + at[i] + " at " + i + " is outside [0, " + m + ")");
            }
            System.arraycopy(x.data(), at[i] * n, y, i * n, n);
        }
        Variable out = result("rows", y, new int[] {at.length, n}, x);
        record(out, () -> {
            float[] g = take(out);
            if (g != null) {
                float[] dx = x.gradForAccumulation();
                for (int i = 0; i < at.length; i++) {
                    Activations.add(dx, at[i] * n, dx, at[i] * n, g, i * n, n);
                }
            }
        });
        return out;
    }

    // ---- element-wise ----

    /** {@code a + b}, same shapes (the residual connection). */
    public Variable add(Variable a, Variable b) {
        sameShape(a, b, "add");
        float[] y = new float[a.size()];
        float[] av = a.data();
        float[] bv = b.data();
        Parallel.parallelFor(y.length, 16384, (s, e) -> Activations.add(y, s, av, s, bv, s, e - s));
        Variable out = result("add", y, a.shape(), a, b);
        record(out, () -> {
            float[] g = take(out);
            if (g == null) {
                return;
            }
            if (a.requiresGrad()) {
                Kernels.addInto(a.gradForAccumulation(), g);
            }
            if (b.requiresGrad()) {
                Kernels.addInto(b.gradForAccumulation(), g);
            }
        });
        return out;
    }

    /** {@code x [m, n]} plus {@code bias [n]} on every row. */
    public Variable addBias(Variable x, Variable bias) {
        rank(x, 2, "addBias input");
        int m = x.dim(0);
        int n = x.dim(1);
        if (bias.size() != n) {
            throw new IllegalArgumentException("addBias: bias " + bias + " does not match rows of " + n);
        }
        float[] y = new float[x.size()];
        for (int r = 0; r < m; r++) {
            Activations.add(y, r * n, x.data(), r * n, bias.data(), 0, n);
        }
        Variable out = result("addBias", y, x.shape(), x, bias);
        record(out, () -> {
            float[] g = take(out);
            if (g == null) {
                return;
            }
            if (x.requiresGrad()) {
                Kernels.addInto(x.gradForAccumulation(), g);
            }
            if (bias.requiresGrad()) {
                float[] db = bias.gradForAccumulation();
                for (int r = 0; r < m; r++) {
                    Activations.add(db, 0, db, 0, g, r * n, n);
                }
            }
        });
        return out;
    }

    /** The same values under another shape of equal size (sharing the array: ops never write their inputs). */
    public Variable reshape(Variable x, int... shape) {
        Variable out = result("reshape", x.data(), shape, x);
        record(out, () -> {
            float[] g = take(out);
            if (g != null) {
                Kernels.addInto(x.gradForAccumulation(), g);
            }
        });
        return out;
    }

    /** {@code silu(a) * b}, same shapes (the gated feed-forward's activation). */
    public Variable swiglu(Variable a, Variable b) {
        sameShape(a, b, "swiglu");
        float[] y = new float[a.size()];
        float[] av = a.data();
        float[] bv = b.data();
        Parallel.parallelFor(y.length, 4096, (s, e) -> Activations.swiglu(y, s, av, s, bv, s, e - s));
        Variable out = result("swiglu", y, a.shape(), a, b);
        record(out, () -> {
            float[] g = take(out);
            if (g == null) {
                return;
            }
            float[] da = a.requiresGrad() ? a.gradForAccumulation() : null;
            float[] db = b.requiresGrad() ? b.gradForAccumulation() : null;
            if (da != null && db != null) {
                Parallel.parallelFor(g.length, 4096, (s, e) -> Activations.swigluBackward(g, av, bv, da, db, s, e - s));
                return;
            }
            Parallel.parallelFor(g.length, 4096, (s, e) -> {
                for (int i = s; i < e; i++) {
                    float x = av[i];
                    float sig = (float) (1.0 / (1.0 + Math.exp(-x)));
                    if (da != null) {
                        // d silu(x)/dx = σ(x) (1 + x (1 - σ(x)))
                        da[i] += g[i] * bv[i] * sig * (1f + x * (1f - sig));
                    }
                    if (db != null) {
                        db[i] += g[i] * x * sig;
                    }
                }
            });
        });
        return out;
    }

    // ---- RMSNorm ----

    /** Each row of {@code x [m, h]} divided by its root mean square (plus {@code eps}), times {@code weight [h]}. */
    public Variable rmsNorm(Variable x, Variable weight, float eps) {
        rank(x, 2, "rmsNorm input");
        int m = x.dim(0);
        int h = x.dim(1);
        if (weight.size() != h) {
            throw new IllegalArgumentException("rmsNorm: weight " + weight + " does not match rows of " + h);
        }
        float[] xv = x.data();
        float[] wv = weight.data();
        float[] y = new float[xv.length];
        float[] inv = new float[m];
        Parallel.parallelFor(m, 4, (s, e) -> {
            for (int r = s; r < e; r++) {
                Norms.rmsNorm(y, r * h, xv, r * h, wv, 0, h, eps);
                double ss = 0;
                for (int i = 0; i < h; i++) {
                    ss += (double) xv[r * h + i] * xv[r * h + i];
                }
                inv[r] = (float) (1.0 / Math.sqrt(ss / h + eps));
            }
        });
        Variable out = result("rmsNorm", y, x.shape(), x, weight);
        record(out, () -> {
            float[] g = take(out);
            if (g == null) {
                return;
            }
            if (weight.requiresGrad()) {
                float[] dw = weight.gradForAccumulation();
                for (int r = 0; r < m; r++) {
                    for (int i = 0; i < h; i++) {
                        dw[i] += g[r * h + i] * xv[r * h + i] * inv[r];
                    }
                }
            }
            if (x.requiresGrad()) {
                float[] dx = x.gradForAccumulation();
                // dx = r·(g∘w) − x · r³/h · Σ(g∘w∘x)
                Parallel.parallelFor(m, 4, (s, e) -> {
                    for (int r = s; r < e; r++) {
                        int o = r * h;
                        double dot = 0;
                        for (int i = 0; i < h; i++) {
                            dot += (double) g[o + i] * wv[i] * xv[o + i];
                        }
                        float rr = inv[r];
                        float c = (float) (dot * rr * rr * rr / h);
                        for (int i = 0; i < h; i++) {
                            dx[o + i] += rr * g[o + i] * wv[i] - c * xv[o + i];
                        }
                    }
                });
            }
        });
        return out;
    }

    // ---- RoPE ----

    /**
     * Rotary position embedding of {@code x [m, heads * headDim]}, row r at {@code positions[r]};
     * the first {@code rotaryDim} dimensions of each head rotate. Backward rotates the gradient back.
     */
    public Variable rope(Variable x, int heads, int headDim, int rotaryDim, int[] positions, double base,
                         float[] freqFactors, RopeLayout layout) {
        rank(x, 2, "rope input");
        int m = x.dim(0);
        int w = x.dim(1);
        if (w != heads * headDim || positions.length != m) {
            throw new IllegalArgumentException("rope: " + x + " is not [" + positions.length + ", " + heads + " x "
                    + headDim + "]");
        }
        int half = rotaryDim / 2;
        float[] cos = new float[m * half];
        float[] sin = new float[m * half];
        float[] c1 = new float[half];
        float[] s1 = new float[half];
        for (int r = 0; r < m; r++) {
            Rope.angles(positions[r], rotaryDim, base, freqFactors, c1, s1);
            System.arraycopy(c1, 0, cos, r * half, half);
            System.arraycopy(s1, 0, sin, r * half, half);
        }
        float[] y = x.data().clone();
        rotateRows(y, m, w, heads, headDim, rotaryDim, cos, sin, layout);
        Variable out = result("rope", y, x.shape(), x);
        record(out, () -> {
            float[] g = take(out);
            if (g == null) {
                return;
            }
            // the rotation is orthogonal: its transpose is the rotation by the opposite angle
            for (int i = 0; i < sin.length; i++) {
                sin[i] = -sin[i];
            }
            rotateRows(g, m, w, heads, headDim, rotaryDim, cos, sin, layout);
            Kernels.addInto(x.gradForAccumulation(), g);
        });
        return out;
    }

    private static void rotateRows(float[] y, int m, int w, int heads, int headDim, int rotaryDim, float[] cos,
                                   float[] sin, RopeLayout layout) {
        int half = rotaryDim / 2;
        Parallel.parallelFor(m, 4, (s, e) -> {
            float[] c = new float[half];
            float[] sn = new float[half];
            for (int r = s; r < e; r++) {
                System.arraycopy(cos, r * half, c, 0, half);
                System.arraycopy(sin, r * half, sn, 0, half);
                if (layout == RopeLayout.NEOX) {
                    Rope.rotateNeox(y, r * w, heads, headDim, rotaryDim, c, sn);
                } else {
                    Rope.rotateInterleaved(y, r * w, heads, headDim, rotaryDim, c, sn);
                }
            }
        });
    }

    // ---- attention ----

    /**
     * Causal scaled dot-product attention with grouped-query heads: {@code q [batch·seq, heads·hd]},
     * {@code k} and {@code v [batch·seq, kvHeads·hd]}, rows sequence-major; query head h reads
     * key/value head {@code h / (heads / kvHeads)}. Returns {@code [batch·seq, heads·hd]}.
     */
    public Variable causalAttention(Variable q, Variable k, Variable v, int batch, int seq, int heads, int kvHeads,
                                    int headDim) {
        return causalAttention(q, k, v, batch, seq, heads, kvHeads, headDim, 0);
    }

    /**
     * {@link #causalAttention(Variable, Variable, Variable, int, int, int, int, int)} where each query
     * sees at most {@code window} keys, itself included (Mistral's sliding window); 0 for all.
     */
    public Variable causalAttention(Variable q, Variable k, Variable v, int batch, int seq, int heads, int kvHeads,
                                    int headDim, int window) {
        if (window < 0) {
            throw new IllegalArgumentException("attention window must be 0 (none) or positive, was " + window);
        }
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException(heads + " query heads cannot share " + kvHeads + " key/value heads");
        }
        int rows = Math.multiplyExact(batch, seq);
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        if (q.size() != (long) rows * qDim || k.size() != (long) rows * kvDim || v.size() != (long) rows * kvDim) {
            throw new IllegalArgumentException("attention: q " + q + ", k " + k + ", v " + v + " do not fit " + batch
                    + " x " + seq + " rows of " + heads + "/" + kvHeads + " heads of " + headDim);
        }
        CausalAttention attention = new CausalAttention(batch, seq, heads, kvHeads, headDim, window);
        float[] qv = q.data();
        float[] kv = k.data();
        float[] vv = v.data();
        float[] y = attention.forward(qv, kv, vv);
        Variable out = result("attention", y, new int[] {rows, qDim}, q, k, v);
        record(out, () -> {
            float[] g = take(out);
            if (g == null) {
                return;
            }
            float[] dq = q.requiresGrad() ? q.gradForAccumulation() : new float[qv.length];
            float[] dk = k.requiresGrad() ? k.gradForAccumulation() : new float[kv.length];
            float[] dv = v.requiresGrad() ? v.gradForAccumulation() : new float[vv.length];
            attention.backward(qv, kv, vv, g, dq, dk, dv);
        });
        return out;
    }

    // ---- loss ----

    /**
     * Mean softmax cross-entropy of {@code logits [n, vocab]} against {@code targets[n]}, skipping
     * rows whose target is {@code ignoreIndex}; a scalar (0 when every row is ignored).
     */
    public Variable crossEntropy(Variable logits, int[] targets, int ignoreIndex) {
        rank(logits, 2, "cross-entropy logits");
        int n = logits.dim(0);
        int vocab = logits.dim(1);
        if (targets.length != n) {
            throw new IllegalArgumentException(n + " rows of logits but " + targets.length + " targets");
        }
        int counted = 0;
        for (int i = 0; i < n; i++) {
            if (targets[i] == ignoreIndex) {
                continue;
            }
            if (targets[i] < 0 || targets[i] >= vocab) {
                throw new IllegalArgumentException("target " + targets[i] + " at " + i + " is outside [0, " + vocab + ")");
            }
            counted++;
        }
        float[] lv = logits.data();
        double[] lse = new double[n];
        int[] t = targets.clone();
        Parallel.parallelFor(n, 4, (s, e) -> {
            for (int r = s; r < e; r++) {
                if (t[r] != ignoreIndex) {
                    lse[r] = Softmax.logSumExp(lv, r * vocab, vocab);
                }
            }
        });
        double total = 0;
        for (int r = 0; r < n; r++) {
            if (t[r] != ignoreIndex) {
                total += lse[r] - lv[r * vocab + t[r]];
            }
        }
        int count = counted;
        Variable out = result("crossEntropy", new float[] {count == 0 ? 0f : (float) (total / count)}, new int[] {1},
                logits);
        record(out, () -> {
            float[] g = take(out);
            if (g == null || count == 0) {
                return;
            }
            float[] dl = logits.gradForAccumulation();
            float scaleBy = g[0] / count;
            Parallel.parallelFor(n, 4, (s, e) -> {
                for (int r = s; r < e; r++) {
                    if (t[r] == ignoreIndex) {
                        continue;
                    }
                    int o = r * vocab;
                    Softmax.addScaledExp(dl, o, lv, o, vocab, (float) lse[r], scaleBy);
                    dl[o + t[r]] -= scaleBy;
                }
            });
        });
        return out;
    }

    // ---- checks ----

    private static void rank(Variable v, int rank, String what) {
        if (v.shape().length != rank) {
            throw new IllegalArgumentException(what + " " + v + " should have rank " + rank);
        }
    }

    private static void sameShape(Variable a, Variable b, String op) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(op + ": shapes differ, " + a + " and " + b);
        }
    }
}
