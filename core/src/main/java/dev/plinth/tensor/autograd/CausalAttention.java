package dev.plinth.tensor.autograd;

import dev.plinth.tensor.Activations;
import dev.plinth.tensor.MatMul;
import dev.plinth.tensor.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal grouped-query attention for the tape, as matrix products over blocks of query rows:
 * for rows {@code [i0, i1)} of one (sequence, head), only the keys {@code [lo, i1)} some row of the
 * block can see take part ({@code lo} is 0, or the window's start for the block's first row), so
 * {@code Q·Kᵀ} and {@code P·V} skip most of the masked upper triangle; masked entries inside a block
 * are zeroed probabilities. The probabilities of every head are kept for backward.
 *
 * <p>Q, K, V and Y are rows of packed heads ({@code [batch·seq, heads·headDim]}); the products read
 * one head's columns in place through leading dimensions, without copies.
 */
final class CausalAttention {
    /** Query rows per block: small enough to skip most of the triangle, large enough for the GEMM's tiles. */
    static final int BLOCK = 64;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final int batch;
    private final int seq;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int window;
    private final int qDim;
    private final int kvDim;
    private final int group;
    private final float scale;
    private final int blocks;

    CausalAttention(int batch, int seq, int heads, int kvHeads, int headDim, int window) {
        this.batch = batch;
        this.seq = seq;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.window = window;
        this.qDim = heads * headDim;
        this.kvDim = kvHeads * headDim;
        this.group = heads / kvHeads;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.blocks = (seq + BLOCK - 1) / BLOCK;
    }

    /** The first key row {@code t} sees. */
    private int first(int t) {
        return window > 0 ? Math.max(0, t - window + 1) : 0;
    }

    /** Offset of row t of sequence b's head h in probs [batch, heads, seq, seq]. */
    private int probsRow(int b, int h, int t) {
        return ((b * heads + h) * seq + t) * seq;
    }

    /** Fills {@code probs} and returns {@code y [batch·seq, heads·headDim]}. */
    float[] forward(float[] q, float[] k, float[] v, float[] probs) {
        float[] y = new float[batch * seq * qDim];
        Parallel.parallelFor(batch * heads * blocks, 1, (s, e) -> {
            for (int task = s; task < e; task++) {
                int blk = task % blocks;
                int h = (task / blocks) % heads;
                int b = task / (blocks * heads);
                forwardBlock(q, k, v, probs, y, b, h, blk * BLOCK, Math.min(seq, (blk + 1) * BLOCK));
            }
        });
        return y;
    }

    private void forwardBlock(float[] q, float[] k, float[] v, float[] probs, float[] y, int b, int h, int i0,
                              int i1) {
        int lo = first(i0);
        int rows = i1 - i0;
        int keys = i1 - lo;
        int qOff = (b * seq + i0) * qDim + h * headDim;
        int kvOff = (b * seq + lo) * kvDim + (h / group) * headDim;
        int pOff = probsRow(b, h, i0) + lo;
        MatMul.gemm(false, true, q, qOff, qDim, k, kvOff, kvDim, probs, pOff, seq, rows, keys, headDim, false);
        for (int t = i0; t < i1; t++) {
            int row = probsRow(b, h, t);
            int from = first(t);
            Arrays.fill(probs, row + lo, row + from, 0f);
            Arrays.fill(probs, row + t + 1, row + i1, 0f);
            Activations.scale(probs, row + from, t + 1 - from, scale);
            Activations.softmax(probs, row + from, t + 1 - from);
        }
        MatMul.gemm(false, false, probs, pOff, seq, v, kvOff, kvDim, y, qOff, qDim, rows, headDim, keys, false);
    }

    /**
     * Accumulates the gradients of q, k and v from the output's gradient {@code g}. One task per
     * (sequence, key/value head): it alone writes that head's dK, dV and its query heads' dQ.
     */
    void backward(float[] q, float[] k, float[] v, float[] probs, float[] g, float[] dq, float[] dk, float[] dv) {
        Parallel.parallelFor(batch * kvHeads, 1, (s, e) -> {
            float[] ds = new float[BLOCK * seq];
            for (int task = s; task < e; task++) {
                int b = task / kvHeads;
                int kvh = task % kvHeads;
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    for (int blk = 0; blk < blocks; blk++) {
                        backwardBlock(q, k, v, probs, g, dq, dk, dv, ds, b, h, blk * BLOCK,
                                Math.min(seq, (blk + 1) * BLOCK));
                    }
                }
            }
        });
    }

    private void backwardBlock(float[] q, float[] k, float[] v, float[] probs, float[] g, float[] dq, float[] dk,
                               float[] dv, float[] ds, int b, int h, int i0, int i1) {
        int lo = first(i0);
        int rows = i1 - i0;
        int keys = i1 - lo;
        int qOff = (b * seq + i0) * qDim + h * headDim;
        int kvOff = (b * seq + lo) * kvDim + (h / group) * headDim;
        int pOff = probsRow(b, h, i0) + lo;
        // dV[lo:i1] += Pᵀ · dY
        MatMul.gemm(true, false, probs, pOff, seq, g, qOff, qDim, dv, kvOff, kvDim, keys, headDim, rows, true);
        // dP = dY · Vᵀ, then dS = P ∘ (dP − Σ P∘dP) · scale in its place
        MatMul.gemm(false, true, g, qOff, qDim, v, kvOff, kvDim, ds, 0, seq, rows, keys, headDim, false);
        for (int t = i0; t < i1; t++) {
            softmaxGradient(probs, probsRow(b, h, t) + lo, ds, (t - i0) * seq, keys);
        }
        // dQ += dS · K, dK[lo:i1] += dSᵀ · Q
        MatMul.gemm(false, false, ds, 0, seq, k, kvOff, kvDim, dq, qOff, qDim, rows, headDim, keys, true);
        MatMul.gemm(true, false, ds, 0, seq, q, qOff, qDim, dk, kvOff, kvDim, keys, headDim, rows, true);
    }

    /**
     * {@code d[i] = p[i] · (d[i] − Σ p∘d) · scale} over one row: the softmax's backward with the
     * scores' scale folded in. Masked entries have p = 0 and so get 0.
     */
    private void softmaxGradient(float[] p, int pOff, float[] d, int dOff, int n) {
        float pd = Activations.dot(p, pOff, d, dOff, n);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector pv = FloatVector.fromArray(S, p, pOff + i);
            FloatVector dv = FloatVector.fromArray(S, d, dOff + i);
            pv.mul(dv.sub(pd)).mul(scale).intoArray(d, dOff + i);
        }
        for (; i < n; i++) {
            d[dOff + i] = p[pOff + i] * (d[dOff + i] - pd) * scale;
        }
    }
}
