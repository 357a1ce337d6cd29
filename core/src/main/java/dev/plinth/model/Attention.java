package dev.plinth.model;

import dev.plinth.tensor.Activations;

/** Causal attention of one query head over a span of cached keys and values. */
final class Attention {
    private static final ThreadLocal<float[][]> SCORES = ThreadLocal.withInitial(() -> new float[1][0]);

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
        java.util.Arrays.fill(out, outOff, outOff + hd, 0f);
        float inv = 1f / sum;
        for (int t = 0; t < n; t++) {
            Activations.axpy(scores[t] * inv, values, (first + t) * stride + headOff, out, outOff, hd);
        }
    }
}
