package dev.plinth.model;

import dev.plinth.tensor.Activations;
import dev.plinth.tensor.MatMul;
import java.util.Arrays;

/**
 * Causal attention over a span of cached keys and values: one query row of one head at a time
 * ({@link #head}, decode), or a block of consecutive query rows of one sequence for all the query
 * heads that share a key head as two matrix products ({@link #block}, prefill).
 */
final class Attention {
    /** A sequence with at least this many new rows in a pass attends in blocks ({@link #block}). */
    static final int BLOCK_MIN_ROWS = 8;
    /** The most query rows of one sequence in a block. */
    private static final int BLOCK_MAX_ROWS = 64;
    /** Scores one block may hold (floats): bounds each thread's buffer for long contexts. */
    private static final int BLOCK_SCORES = 1 << 20;

    private static final ThreadLocal<float[][]> SCORES = ThreadLocal.withInitial(() -> new float[1][0]);
    private static final ThreadLocal<BlockBuffers> BLOCK_BUFFERS = ThreadLocal.withInitial(BlockBuffers::new);

    /** A thread's buffers for {@link #block}: the packed queries, the scores and the outputs. */
    private static final class BlockBuffers {
        float[] queries = new float[0], scores = queries, outputs = queries;

        void ensure(int queryFloats, int scoreFloats) {
            if (queries.length < queryFloats) {
                queries = new float[queryFloats];
                outputs = new float[queryFloats];
            }
            if (scores.length < scoreFloats) {
                scores = new float[scoreFloats];
            }
        }
    }

    private Attention() {
    }

    /** This thread's score buffer, at least {@code n} long. */
    static float[] scores(int n) {
        float[][] holder = SCORES.get();
        if (holder[0].length < n) {
            holder[0] = new float[n];
        }
        return holder[0];
    }

    /**
     * {@code out[outOff..+hd) = softmax(q·K[t]ᵀ * scale for t in [first, last]) · V}, where key and
     * value t of this head start at {@code t * stride + headOff} in the caches.
     */
    static void head(float[] q, int qOff, float[] keys, float[] values, int headOff, int stride, int first, int last,
                     int hd, float scale, float[] scores, float[] out, int outOff) {
        int n = last - first + 1;
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < n; t++) {
            float s = Activations.dot(q, qOff, keys, (first + t) * stride + headOff, hd) * scale;
            scores[t] = s;
            max = Math.max(max, s);
        }
        float sum = 0;
        for (int t = 0; t < n; t++) {
            float e = (float) Math.exp(scores[t] - max);
            scores[t] = e;
            sum += e;
        }
        Arrays.fill(out, outOff, outOff + hd, 0f);
        float inv = 1f / sum;
        for (int t = 0; t < n; t++) {
            Activations.axpy(scores[t] * inv, values, (first + t) * stride + headOff, out, outOff, hd);
        }
    }

    /**
     * Query rows per block for a sequence whose last new position is {@code lastPos}: as many as
     * {@link #BLOCK_MAX_ROWS} while the block's scores (its rows of {@code group} heads against
     * every key it sees) fit {@link #BLOCK_SCORES}.
     */
    static int blockRows(int lastPos, int window, int group) {
        int keys = window > 0 ? Math.min(lastPos + 1, window + BLOCK_MAX_ROWS) : lastPos + 1;
        return Math.max(1, Math.min(BLOCK_MAX_ROWS, BLOCK_SCORES / (group * keys)));
    }

    /**
     * Attention of {@code rows} consecutive query rows at positions {@code pos0 ..} for the
     * {@code group} query heads {@code kvHead·group ..} that share key head {@code kvHead}: the
     * scores {@code S = Q·Kᵀ} of every row against the keys the block sees, then per row the causal
     * (and sliding {@code window}) mask and the softmax, then {@code O = P·V}. Query row r of head h
     * is at {@code q[qOff + r·qDim + h·hd]}, its output at the same place in {@code att}; key and
     * value t at {@code t·kvDim + kvHead·hd} in the caches, which must hold positions up to the
     * block's last.
     */
    static void block(float[] q, int qOff, int qDim, int rows, int pos0, float[] keys, float[] values, int kvHead,
                      int group, int hd, int kvDim, int window, float scale, float[] att) {
        int first = window > 0 ? Math.max(0, pos0 - window + 1) : 0;
        int span = pos0 + rows - first;
        int m = group * rows;
        BlockBuffers buffers = BLOCK_BUFFERS.get();
        buffers.ensure(m * hd, m * span);
        float[] packed = buffers.queries;
        float[] scores = buffers.scores;
        float[] out = buffers.outputs;
        int headOff = kvHead * group * hd;
        for (int g = 0; g < group; g++) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(q, qOff + r * qDim + headOff + g * hd, packed, (g * rows + r) * hd, hd);
            }
        }
        int kvOff = first * kvDim + kvHead * hd;
        MatMul.gemm(false, true, packed, 0, hd, keys, kvOff, kvDim, scores, 0, span, m, span, hd, false);
        for (int i = 0; i < m; i++) {
            int pos = pos0 + i % rows;
            int from = window > 0 ? Math.max(first, pos - window + 1) : first;
            softmaxMasked(scores, i * span, from - first, pos - first, span, scale);
        }
        MatMul.gemm(false, false, scores, 0, span, values, kvOff, kvDim, out, 0, hd, m, hd, span, false);
        for (int g = 0; g < group; g++) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(out, (g * rows + r) * hd, att, qOff + r * qDim + headOff + g * hd, hd);
            }
        }
    }

    /** The row {@code s[off .. off+span)} becomes the softmax of its scaled entries {@code [lo, hi]} and zero elsewhere. */
    private static void softmaxMasked(float[] s, int off, int lo, int hi, int span, float scale) {
        Activations.scale(s, off + lo, hi - lo + 1, scale);
        Activations.softmax(s, off + lo, hi - lo + 1);
        Arrays.fill(s, off, off + lo, 0f);
        Arrays.fill(s, off + hi + 1, off + span, 0f);
    }
}
