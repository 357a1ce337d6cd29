package dev.plinth.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Picks the next token from a logits vector the way llama.cpp's default sampler chain does, in
 * this order: repetition/presence/frequency penalties over the last {@code penaltyLastN} accepted
 * tokens, top-k, top-p, min-p, temperature, then a draw from a seeded {@link SplittableRandom}.
 * With temperature 0 it is greedy (argmax after the penalties). One sampler serves one sequence:
 * it keeps the token history for the penalties and the random state, and is not thread-safe.
 *
 * <p>The truncation stages never sort the whole vocabulary: top-k selects its k best with a
 * bounded heap; top-p without top-k selects a growing best-first prefix until it holds the
 * requested mass; min-p is a threshold on the logit ({@code logit >= max + ln(minP)}, which is
 * {@code p >= minP * pMax}).
 */
public final class Sampler {

    private static final int TOP_P_BUCKETS = 512;

    private final SamplingParams params;
    private final int vocabSize;
    private final SplittableRandom random;
    private final float[] work;
    private final int[] counts;
    private int[] candidateIds;
    private float[] candidateLogits;
    private int[] history = new int[64];
    private int historySize;

    public Sampler(SamplingParams params, int vocabSize) {
        if (vocabSize <= 0) {
            throw new IllegalArgumentException("vocabulary size must be positive, got " + vocabSize);
        }
        this.params = params;
        this.vocabSize = vocabSize;
        this.random = new SplittableRandom(params.seed());
        this.work = new float[vocabSize];
        this.counts = new int[vocabSize];
        this.candidateIds = new int[Math.min(vocabSize, 1024)];
        this.candidateLogits = new float[candidateIds.length];
    }

    /** Records a token of the sequence (prompt or generated) for the penalties. */
    public void accept(int token) {
        if (historySize == history.length) {
            history = Arrays.copyOf(history, history.length * 2);
        }
        history[historySize++] = token;
    }

    /**
     * The next token for these logits ({@code vocabSize} values, left unchanged). Does not
     * {@link #accept} it.
     */
    public int sample(float[] logits) {
        if (logits.length != vocabSize) {
            throw new IllegalArgumentException("expected " + vocabSize + " logits, got " + logits.length);
        }
        System.arraycopy(logits, 0, work, 0, vocabSize);
        applyPenalties(work);
        if (params.isGreedy()) {
            return argmax(work);
        }
        int n = truncate(work);
        return draw(n);
    }

    /**
     * Log-probabilities of {@code token} and of the {@code topN} most likely tokens under the
     * penalised logits of the last {@link #sample} call (log-softmax over the whole vocabulary).
     */
    public TokenLogProbs logProbs(int token, int topN) {
        return logProbs(work, token, topN);
    }

    /** Log-probabilities of {@code token} and of the {@code topN} most likely tokens under {@code logits} (log-softmax over all of them). */
    public static TokenLogProbs logProbs(float[] logits, int token, int topN) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        float logZ = (float) (max + Math.log(sum));
        int n = Math.min(Math.max(topN, 0), logits.length);
        int[] ids = new int[n];
        float[] vals = new float[n];
        int kept = selectTop(logits, null, logits.length, n, ids, vals);
        List<LogProb> top = new ArrayList<>(kept);
        for (int i = 0; i < kept; i++) {
            top.add(new LogProb(ids[i], vals[i] - logZ));
        }
        return new TokenLogProbs(token, logits[token] - logZ, top);
    }

    /** llama.cpp's penalties: divide a positive logit by the repeat penalty, multiply a negative one, then subtract count * frequency + presence. */
    void applyPenalties(float[] logits) {
        int lastN = params.penaltyLastN() < 0 ? historySize : Math.min(params.penaltyLastN(), historySize);
        boolean neutral = params.repeatPenalty() == 1f && params.presencePenalty() == 0f && params.frequencyPenalty() == 0f;
        if (lastN == 0 || neutral) {
            return;
        }
        for (int i = historySize - lastN; i < historySize; i++) {
            int t = history[i];
            if (t >= 0 && t < vocabSize) {
                counts[t]++;
            }
        }
        for (int i = historySize - lastN; i < historySize; i++) {
            int t = history[i];
            if (t < 0 || t >= vocabSize || counts[t] == 0) {
                continue;
            }
            float v = logits[t];
            v = v <= 0 ? v * params.repeatPenalty() : v / params.repeatPenalty();
            logits[t] = v - counts[t] * params.frequencyPenalty() - params.presencePenalty();
            counts[t] = 0;
        }
    }

    /** The tokens that survive penalties, top-k, top-p and min-p for these logits, best first when sorted (for tests). */
    int[] survivors(float[] logits) {
        System.arraycopy(logits, 0, work, 0, vocabSize);
        applyPenalties(work);
        int n = truncate(work);
        return Arrays.copyOf(candidateIds, n);
    }

    /** Runs top-k, top-p and min-p; leaves the survivors in the candidate arrays and returns their count. */
    private int truncate(float[] logits) {
        int k = params.topK() > 0 ? Math.min(params.topK(), vocabSize) : vocabSize;
        boolean topP = params.topP() < 1f;
        int n;
        boolean sorted;
        if (k < vocabSize) {
            n = selectCandidates(logits, k);
            sorted = true;
        } else if (topP) {
            n = topPFromVocabulary(logits);
            sorted = true;
            topP = false;
        } else {
            ensureCandidateCapacity(vocabSize);
            for (int i = 0; i < vocabSize; i++) {
                candidateIds[i] = i;
                candidateLogits[i] = logits[i];
            }
            n = vocabSize;
            sorted = false;
        }
        if (topP) {
            n = topPSorted(n);
        }
        if (params.minP() > 0f) {
            n = minP(n, sorted);
        }
        return n;
    }

    private int selectCandidates(float[] logits, int k) {
        ensureCandidateCapacity(k);
        return selectTop(logits, null, vocabSize, k, candidateIds, candidateLogits);
    }

    /**
     * Top-p over the whole vocabulary without sorting it: the probabilities go into buckets by
     * how far their logit lies below the maximum; the first buckets holding the mass p bound the
     * nucleus, and only their tokens are sorted for the exact cut. Every token of a later bucket
     * has a smaller logit than every token of an earlier one, so the cut equals a full sort's.
     */
    private int topPFromVocabulary(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double[] mass = new double[TOP_P_BUCKETS];
        double z = 0;
        for (float v : logits) {
            double e = Math.exp(v - max);
            z += e;
            mass[bucket(max - v)] += e;
        }
        double target = params.topP() * z;
        int last = 0;
        double cum = 0;
        while (last < TOP_P_BUCKETS - 1 && cum + mass[last] < target) {
            cum += mass[last++];
        }
        int m = 0;
        for (int i = 0; i < vocabSize; i++) {
            if (bucket(max - logits[i]) <= last) {
                m++;
            }
        }
        ensureCandidateCapacity(m);
        int[] ids = new int[m];
        float[] vals = new float[m];
        int j = 0;
        for (int i = 0; i < vocabSize; i++) {
            if (bucket(max - logits[i]) <= last) {
                ids[j] = i;
                vals[j++] = logits[i];
            }
        }
        int n = selectTop(vals, ids, m, m, candidateIds, candidateLogits);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(candidateLogits[i] - max);
            if (sum >= target) {
                return i + 1;
            }
        }
        return n;
    }

    /** The top-p bucket of a logit lying {@code below} under the maximum: 1/8 nat wide, the last one open. */
    private static int bucket(float below) {
        return (int) Math.min(below * 8f, TOP_P_BUCKETS - 1);
    }

    /** Top-p over sorted candidates: the shortest prefix whose softmax mass reaches p (at least one). */
    private int topPSorted(int n) {
        float max = candidateLogits[0];
        double z = 0;
        for (int i = 0; i < n; i++) {
            z += Math.exp(candidateLogits[i] - max);
        }
        double target = params.topP() * z;
        double cum = 0;
        for (int i = 0; i < n; i++) {
            cum += Math.exp(candidateLogits[i] - max);
            if (cum >= target) {
                return i + 1;
            }
        }
        return n;
    }

    private int minP(int n, boolean sorted) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, candidateLogits[i]);
        }
        float threshold = max + (float) Math.log(params.minP());
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (candidateLogits[i] >= threshold) {
                candidateIds[kept] = candidateIds[i];
                candidateLogits[kept] = candidateLogits[i];
                kept++;
            } else if (sorted) {
                break;
            }
        }
        return Math.max(kept, 1);
    }

    /** Temperature, softmax and one draw over the first {@code n} candidates. */
    private int draw(int n) {
        float invT = 1f / params.temperature();
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, candidateLogits[i] * invT);
        }
        double z = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(candidateLogits[i] * invT - max);
            candidateLogits[i] = e; // the logits are not needed again: keep the weights
            z += e;
        }
        double u = random.nextDouble() * z;
        double cum = 0;
        for (int i = 0; i < n; i++) {
            cum += candidateLogits[i];
            if (u < cum) {
                return candidateIds[i];
            }
        }
        return candidateIds[n - 1];
    }

    private void ensureCandidateCapacity(int n) {
        if (candidateIds.length < n) {
            candidateIds = new int[n];
            candidateLogits = new float[n];
        }
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The {@code k} largest of {@code values[0..n)} (indices from {@code ids} when given, else the
     * positions), largest first, ties to the lower id, into {@code outIds}/{@code outValues}; a
     * bounded min-heap, O(n log k). Returns the number written.
     */
    static int selectTop(float[] values, int[] ids, int n, int k, int[] outIds, float[] outValues) {
        k = Math.min(k, n);
        if (k <= 0) {
            return 0;
        }
        int size = 0;
        for (int i = 0; i < n; i++) {
            int id = ids == null ? i : ids[i];
            float v = values[i];
            if (size < k) {
                outIds[size] = id;
                outValues[size] = v;
                siftUp(outIds, outValues, size++);
            } else if (worse(outValues[0], outIds[0], v, id)) {
                outIds[0] = id;
                outValues[0] = v;
                siftDown(outIds, outValues, 0, size);
            }
        }
        for (int end = size - 1; end > 0; end--) {
            swap(outIds, outValues, 0, end);
            siftDown(outIds, outValues, 0, end);
        }
        return size;
    }

    /** Whether (v1, id1) ranks below (v2, id2): smaller value, or equal value and larger id. */
    private static boolean worse(float v1, int id1, float v2, int id2) {
        return v1 < v2 || (v1 == v2 && id1 > id2);
    }

    private static void siftUp(int[] ids, float[] vals, int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!worse(vals[i], ids[i], vals[parent], ids[parent])) {
                return;
            }
            swap(ids, vals, i, parent);
            i = parent;
        }
    }

    private static void siftDown(int[] ids, float[] vals, int i, int size) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) {
                return;
            }
            int r = l + 1;
            int worst = r < size && worse(vals[r], ids[r], vals[l], ids[l]) ? r : l;
            if (!worse(vals[worst], ids[worst], vals[i], ids[i])) {
                return;
            }
            swap(ids, vals, i, worst);
            i = worst;
        }
    }

    private static void swap(int[] ids, float[] vals, int a, int b) {
        int ti = ids[a];
        ids[a] = ids[b];
        ids[b] = ti;
        float tv = vals[a];
        vals[a] = vals[b];
        vals[b] = tv;
    }
}
