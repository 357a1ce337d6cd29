package dev.plinth.tensor.autograd;

import dev.plinth.tensor.Activations;
import dev.plinth.tensor.MatMul;
import dev.plinth.tensor.Parallel;
import dev.plinth.tensor.Softmax;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal grouped-query attention for the tape, as matrix products over blocks of query rows:
 * for rows {@code [i0, i1)} of one (sequence, head), only the keys {@code [lo, i1)} some row of the
 * block can see take part ({@code lo} is 0, or the window's start for the block's first row), so
 * {@code Q·Kᵀ} and {@code P·V} skip most of the masked upper triangle; masked entries inside a block
 * are zero probabilities. Flash-style, no {@code seq × seq} matrix outlives its block: forward keeps
 * each row's log-sum-exp of the scaled scores, and backward recomputes the block's probabilities
 * from them with the same code, so they equal forward's bit for bit.
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
    /** Per (sequence, head, query row): log Σ exp of the row's scaled scores. */
    private final float[] logSumExp;

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
        this.logSumExp = new float[Math.multiplyExact(batch * heads, seq)];
    }

    /** The first key row {@code t} sees. */
    private int first(int t) {
        return window > 0 ? Math.max(0, t - window + 1) : 0;
    }

    /** Returns {@code y [batch·seq, heads·headDim]}, keeping the rows' log-sum-exps for {@link #backward}. */
    float[] forward(float[] q, float[] k, float[] v) {
        float[] y = new float[batch * seq * qDim];
        Parallel.parallelFor(batch * heads * blocks, 1, (s, e) -> {
            float[] p = new float[BLOCK * seq];
            for (int task = s; task < e; task++) {
                int blk = task % blocks;
                int h = (task / blocks) % heads;
                int b = task / (blocks * heads);
                Block block = new Block(b, h, blk * BLOCK, Math.min(seq, (blk + 1) * BLOCK));
                probabilities(q, k, p, block, true);
                // Y[i0:i1] = P · V[lo:i1]
                MatMul.gemm(false, false, p, 0, seq, v, block.kvOff, kvDim, y, block.qOff, qDim, block.rows(),
                        headDim, block.keys(), false);
            }
        });
        return y;
    }

    /** Rows {@code [i0, i1)} of sequence b's head h, with the keys {@code [lo, i1)} they see between them. */
    private final class Block {
        final int i0;
        final int i1;
        final int lo;
        final int qOff;
        final int kvOff;
        final int statsOff;

        Block(int b, int h, int i0, int i1) {
            this.i0 = i0;
            this.i1 = i1;
            this.lo = first(i0);
            this.qOff = (b * seq + i0) * qDim + h * headDim;
            this.kvOff = (b * seq + lo) * kvDim + (h / group) * headDim;
            this.statsOff = (b * heads + h) * seq;
        }

        int rows() {
            return i1 - i0;
        }

        int keys() {
            return i1 - lo;
        }
    }

    /**
     * The block's probabilities into {@code p} (row t − i0 at {@code (t − i0)·seq}, key u at column
     * u − lo), masked keys zero. Forward also records each row's log-sum-exp; backward reuses it.
     */
    private void probabilities(float[] q, float[] k, float[] p, Block blk, boolean record) {
        MatMul.gemm(false, true, q, blk.qOff, qDim, k, blk.kvOff, kvDim, p, 0, seq, blk.rows(), blk.keys(), headDim,
                false);
        for (int t = blk.i0; t < blk.i1; t++) {
            int row = (t - blk.i0) * seq;
            int from = first(t) - blk.lo;
            int to = t + 1 - blk.lo;
            Arrays.fill(p, row, row + from, 0f);
            Arrays.fill(p, row + to, row + blk.keys(), 0f);
            Activations.scale(p, row + from, to - from, scale);
            if (record) {
                logSumExp[blk.statsOff + t] = (float) Softmax.logSumExp(p, row + from, to - from);
            }
            Softmax.expShifted(p, row + from, to - from, logSumExp[blk.statsOff + t]);
        }
    }

    /**
     * Accumulates the gradients of q, k and v from the output's gradient {@code g}. One task per
     * (sequence, key/value head): it alone writes that head's dK, dV and its query heads' dQ.
     */
    void backward(float[] q, float[] k, float[] v, float[] g, float[] dq, float[] dk, float[] dv) {
        Parallel.parallelFor(batch * kvHeads, 1, (s, e) -> {
            float[] p = new float[BLOCK * seq];
            float[] ds = new float[BLOCK * seq];
            for (int task = s; task < e; task++) {
                int b = task / kvHeads;
                int kvh = task % kvHeads;
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    for (int i = 0; i < blocks; i++) {
                        Block blk = new Block(b, h, i * BLOCK, Math.min(seq, (i + 1) * BLOCK));
                        probabilities(q, k, p, blk, false);
                        backwardBlock(q, k, v, p, g, dq, dk, dv, ds, blk);
                    }
                }
            }
        });
    }

    private void backwardBlock(float[] q, float[] k, float[] v, float[] p, float[] g, float[] dq, float[] dk,
                               float[] dv, float[] ds, Block blk) {
        int rows = blk.rows();
        int keys = blk.keys();
        // dV[lo:i1] += Pᵀ · dY
        MatMul.gemm(true, false, p, 0, seq, g, blk.qOff, qDim, dv, blk.kvOff, kvDim, keys, headDim, rows, true);
        // dP = dY · Vᵀ, then dS = P ∘ (dP − Σ P∘dP) · scale in its place
        MatMul.gemm(false, true, g, blk.qOff, qDim, v, blk.kvOff, kvDim, ds, 0, seq, rows, keys, headDim, false);
        for (int r = 0; r < rows; r++) {
            softmaxGradient(p, r * seq, ds, r * seq, keys);
        }
        // dQ += dS · K, dK[lo:i1] += dSᵀ · Q
        MatMul.gemm(false, false, ds, 0, seq, k, blk.kvOff, kvDim, dq, blk.qOff, qDim, rows, headDim, keys, true);
        MatMul.gemm(true, false, ds, 0, seq, q, blk.qOff, qDim, dk, blk.kvOff, kvDim, keys, headDim, rows, true);
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
