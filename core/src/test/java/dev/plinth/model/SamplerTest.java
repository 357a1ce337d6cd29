package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The sampler chain against an independent, deliberately naive model of llama.cpp's chain (full
 * sort, then each stage as its documentation states it): the distribution of many seeded draws
 * must pass a chi-square test against the expected probabilities, and no token outside the
 * expected support may ever be drawn.
 */
class SamplerTest {

    private static final float[] LOGITS = {1.5f, -0.5f, 3.0f, 2.2f, 0.1f, 2.9f, -2.0f, 1.0f, 0.0f, 2.5f, -1.0f, 0.7f};
    private static final int DRAWS = 40_000;

    @Test
    void greedyTakesTheLargestLogitWithTiesToTheLowestId() {
        Sampler s = new Sampler(SamplingParams.greedy(), 5);
        assertEquals(2, s.sample(new float[] {0f, 1f, 4f, 3f, 4f}));
        assertEquals(0, s.sample(new float[] {7f, 7f, 7f, 7f, 7f}));
        float[] big = new float[150_000];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < big.length; i++) {
            big[i] = (float) r.nextGaussian();
        }
        big[123_456] = 100f;
        assertEquals(123_456, new Sampler(SamplingParams.greedy(), big.length).sample(big));
    }

    @Test
    void penaltiesFollowLlamaCppOnAHandBuiltExample() {
        SamplingParams p = SamplingParams.greedy().withPenalties(2f, 0.5f, 0.25f, 64);
        Sampler s = new Sampler(p, 5);
        for (int t : new int[] {0, 0, 1, 3}) {
            s.accept(t);
        }
        float[] logits = {2f, -1f, 0.5f, 3f, 0.6f};
        s.applyPenalties(logits);
        // token 0: twice, positive: 2/2 - 2*0.25 - 0.5; token 1: once, negative: -1*2 - 0.25 - 0.5;
        // token 3: once: 3/2 - 0.25 - 0.5; tokens 2 and 4 untouched.
        assertArrayEquals(new float[] {0f, -2.75f, 0.5f, 0.75f, 0.6f}, logits);
        // greedy after penalties: token 3 fell from 3.0 to 0.75, still above token 4's 0.6; at 0.7 it falls to 0.1
        assertEquals(3, s.sample(new float[] {2f, -1f, 0.5f, 3f, 0.6f}));
        assertEquals(4, s.sample(new float[] {2f, -1f, 0.5f, 0.7f, 0.6f}));

        Sampler window = new Sampler(SamplingParams.greedy().withPenalties(2f, 0f, 0f, 2), 5);
        for (int t : new int[] {0, 0, 1, 3}) {
            window.accept(t);
        }
        float[] w = {2f, -1f, 0.5f, 3f, 0.6f};
        window.applyPenalties(w);
        assertArrayEquals(new float[] {2f, -2f, 0.5f, 1.5f, 0.6f}, w, "only the last two tokens (1, 3) count");
    }

    @Test
    void temperatureAloneMatchesTheSoftmax() {
        checkDistribution(SamplingParams.DEFAULTS.withoutTruncation().withTemperature(0.7f).withSeed(11));
    }

    @Test
    void topKKeepsTheKBest() {
        checkDistribution(SamplingParams.DEFAULTS.withoutTruncation().withTopK(3).withTemperature(1f).withSeed(12));
    }

    @Test
    void topPKeepsTheSmallestNucleus() {
        checkDistribution(SamplingParams.DEFAULTS.withoutTruncation().withTopP(0.8f).withTemperature(1f).withSeed(13));
    }

    @Test
    void minPKeepsTokensNearTheBest() {
        checkDistribution(SamplingParams.DEFAULTS.withoutTruncation().withMinP(0.2f).withTemperature(1.3f).withSeed(14));
    }

    @Test
    void fullChainWithPenalties() {
        SamplingParams p = new SamplingParams(1.5f, 8, 0.9f, 0.05f, 1.3f, 0.2f, 0.1f, 64, 15);
        checkDistribution(p, 2, 2, 5, 9);
    }

    @Test
    void llamaCppDefaults() {
        checkDistribution(SamplingParams.DEFAULTS.withSeed(16));
    }

    @Test
    void sameSeedSameTokensOtherSeedOtherTokens() {
        SamplingParams p = SamplingParams.DEFAULTS.withTemperature(1f).withTopK(0).withMinP(0f).withSeed(42);
        int[] a = drawSequence(p, 200);
        int[] b = drawSequence(p, 200);
        int[] c = drawSequence(p.withSeed(43), 200);
        assertArrayEquals(a, b);
        assertNotEquals(Arrays.toString(a), Arrays.toString(c));
    }

    @Test
    void largeVocabularyTopPWithoutTopKDrawsOnlyFromTheNucleus() {
        int vocab = 151_936;
        SplittableRandom r = new SplittableRandom(99);
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) (r.nextGaussian() * 3);
        }
        Integer[] order = IntStream.range(0, vocab).boxed().sorted(Comparator.comparingDouble(i -> -logits[i])).toArray(Integer[]::new);
        double max = logits[order[0]];
        double z = 0;
        for (float v : logits) {
            z += Math.exp(v - max);
        }
        double cum = 0;
        int nucleus = 0;
        while (cum < 0.5 * z) {
            cum += Math.exp(logits[order[nucleus++]] - max);
        }
        boolean[] inside = new boolean[vocab];
        for (int i = 0; i < nucleus; i++) {
            inside[order[i]] = true;
        }
        Sampler s = new Sampler(SamplingParams.DEFAULTS.withoutTruncation().withTopP(0.5f).withTemperature(1f).withSeed(5), vocab);
        for (int i = 0; i < 300; i++) {
            int t = s.sample(logits);
            assertTrue(inside[t], "token " + t + " outside the nucleus of " + nucleus);
        }
        Sampler k = new Sampler(SamplingParams.DEFAULTS.withoutTruncation().withTopK(40).withTemperature(1f).withSeed(6), vocab);
        boolean[] top40 = new boolean[vocab];
        for (int i = 0; i < 40; i++) {
            top40[order[i]] = true;
        }
        for (int i = 0; i < 300; i++) {
            assertTrue(top40[k.sample(logits)]);
        }
    }

    @Test
    void largeVocabularySurvivorsEqualAFullSortsChain() {
        SplittableRandom r = new SplittableRandom(2024);
        for (int trial = 0; trial < 12; trial++) {
            int vocab = 1000 + r.nextInt(150_000);
            double sd = 0.5 + r.nextDouble() * 6;
            float[] logits = new float[vocab];
            for (int i = 0; i < vocab; i++) {
                logits[i] = (float) (r.nextGaussian() * sd);
            }
            float p = (float) (0.05 + r.nextDouble() * 0.94);
            SamplingParams params = trial % 3 == 2
                    ? SamplingParams.DEFAULTS.withTopK(1 + r.nextInt(200)).withTopP(p).withMinP((float) r.nextDouble() * 0.2f)
                    : SamplingParams.DEFAULTS.withoutTruncation().withTopP(p).withTemperature(1f);
            double[] naive = naiveChain(logits, params, new int[0]);
            int[] got = new Sampler(params, vocab).survivors(logits);
            long expected = Arrays.stream(naive).filter(x -> x > 0).count();
            assertEquals(expected, got.length, "vocab " + vocab + " sd " + sd + " p " + p);
            for (int t : got) {
                assertTrue(naive[t] > 0, "token " + t + " logit " + logits[t] + " survivors " + got.length + " first "
                        + got[0] + " " + logits[got[0]] + " last " + got[got.length - 1] + " " + logits[got[got.length - 1]]);
            }
        }
    }

    @Test
    void logProbsAreTheLogSoftmaxAfterPenalties() {
        SamplingParams p = SamplingParams.greedy().withPenalties(1.5f, 0f, 0f, 8);
        Sampler s = new Sampler(p, LOGITS.length);
        s.accept(2);
        int token = s.sample(LOGITS);
        float[] penalised = LOGITS.clone();
        penalised[2] = LOGITS[2] / 1.5f;
        double max = 3.0;
        double z = 0;
        for (float v : penalised) {
            z += Math.exp(v - max);
        }
        double logZ = max + Math.log(z);
        assertEquals(5, token, "2.9 beats 3.0 / 1.5");
        TokenLogProbs lp = s.logProbs(token, 3);
        assertEquals(penalised[5] - logZ, lp.logprob(), 1e-5);
        assertEquals(3, lp.top().size());
        int[] expectedTop = {5, 9, 3};
        for (int i = 0; i < 3; i++) {
            assertEquals(expectedTop[i], lp.top().get(i).token());
            assertEquals(penalised[expectedTop[i]] - logZ, lp.top().get(i).logprob(), 1e-5);
        }
    }

    @Test
    void selectTopReturnsTheKLargestInOrder() {
        SplittableRandom r = new SplittableRandom(7);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(300);
            int k = 1 + r.nextInt(n + 5);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = r.nextInt(20) - 10; // many ties
            }
            int[] ids = new int[Math.min(k, n)];
            float[] vals = new float[ids.length];
            int got = Sampler.selectTop(v, null, n, k, ids, vals);
            Integer[] order = IntStream.range(0, n).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> -v[i]).thenComparingInt(i -> i)).toArray(Integer[]::new);
            assertEquals(Math.min(k, n), got);
            for (int i = 0; i < got; i++) {
                assertEquals(order[i], ids[i]);
            }
        }
    }

    private static int[] drawSequence(SamplingParams p, int n) {
        Sampler s = new Sampler(p, LOGITS.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = s.sample(LOGITS);
        }
        return out;
    }

    /** Draws many tokens (the history fixed to {@code history}) and compares with the naive chain. */
    private static void checkDistribution(SamplingParams p, int... history) {
        double[] expected = naiveChain(LOGITS, p, history);
        Sampler s = new Sampler(p, LOGITS.length);
        for (int t : history) {
            s.accept(t);
        }
        long[] counts = new long[LOGITS.length];
        for (int i = 0; i < DRAWS; i++) {
            counts[s.sample(LOGITS)]++;
        }
        double chi2 = 0;
        int support = 0;
        for (int t = 0; t < LOGITS.length; t++) {
            if (expected[t] == 0) {
                assertEquals(0, counts[t], "token " + t + " is outside the support but was drawn");
                continue;
            }
            support++;
            double e = expected[t] * DRAWS;
            chi2 += (counts[t] - e) * (counts[t] - e) / e;
        }
        int df = Math.max(support - 1, 1);
        assertTrue(chi2 < chiSquareCritical999(df), "chi2 " + chi2 + " with " + df + " degrees of freedom; counts "
                + Arrays.toString(counts) + " expected " + Arrays.toString(expected));
    }

    /** Wilson-Hilferty approximation of the 99.9% quantile of chi-square with {@code df} degrees of freedom. */
    private static double chiSquareCritical999(int df) {
        double a = 2.0 / (9 * df);
        return df * Math.pow(1 - a + 3.0902 * Math.sqrt(a), 3);
    }

    /** The chain written out plainly: penalties, full sort, top-k, top-p, min-p, temperature, softmax. */
    static double[] naiveChain(float[] raw, SamplingParams p, int[] history) {
        double[] l = new double[raw.length];
        for (int i = 0; i < raw.length; i++) {
            l[i] = raw[i];
        }
        int from = p.penaltyLastN() < 0 ? 0 : Math.max(0, history.length - p.penaltyLastN());
        for (int t = 0; t < raw.length; t++) {
            int c = 0;
            for (int i = from; i < history.length; i++) {
                c += history[i] == t ? 1 : 0;
            }
            if (c > 0) {
                l[t] = l[t] > 0 ? l[t] / p.repeatPenalty() : l[t] * p.repeatPenalty();
                l[t] -= c * p.frequencyPenalty() + p.presencePenalty();
            }
        }
        Integer[] order = IntStream.range(0, raw.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -l[i]).thenComparingInt(i -> i)).toArray(Integer[]::new);
        int n = p.topK() > 0 ? Math.min(p.topK(), raw.length) : raw.length;
        if (p.topP() < 1) {
            double z = 0;
            for (int i = 0; i < n; i++) {
                z += Math.exp(l[order[i]]);
            }
            double cum = 0;
            for (int i = 0; i < n; i++) {
                cum += Math.exp(l[order[i]]) / z;
                if (cum >= p.topP()) {
                    n = i + 1;
                    break;
                }
            }
        }
        if (p.minP() > 0) {
            double best = Math.exp(l[order[0]]);
            int kept = 0;
            while (kept < n && Math.exp(l[order[kept]]) >= p.minP() * best) {
                kept++;
            }
            n = Math.max(kept, 1);
        }
        double[] prob = new double[raw.length];
        double z = 0;
        for (int i = 0; i < n; i++) {
            z += Math.exp(l[order[i]] / p.temperature());
        }
        for (int i = 0; i < n; i++) {
            prob[order[i]] = Math.exp(l[order[i]] / p.temperature()) / z;
        }
        return prob;
    }
}
