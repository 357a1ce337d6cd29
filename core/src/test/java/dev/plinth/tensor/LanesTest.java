package dev.plinth.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class LanesTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Test
    void expIsWithinTwoUlpOfMathExpOverTheWholeRange() {
        SplittableRandom rnd = new SplittableRandom(3);
        float[] x = new float[S.length()];
        float[] y = new float[S.length()];
        double worst = 0;
        for (int trial = 0; trial < 20_000; trial++) {
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextDouble() * 175 - 87);
            }
            Lanes.exp(FloatVector.fromArray(S, x, 0)).intoArray(y, 0);
            for (int i = 0; i < x.length; i++) {
                float expected = (float) Math.exp(x[i]);
                worst = Math.max(worst, Math.abs(y[i] - expected) / Math.ulp(expected));
            }
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp");
        float[] edge = new float[S.length()];
        edge[0] = 0;
        edge[1 % edge.length] = Float.NaN;
        Lanes.exp(FloatVector.fromArray(S, edge, 0)).intoArray(y, 0);
        assertEquals(1f, y[0]);
    }

    @Test
    void sumAddsLanesInAFixedOrder() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] x = new float[S.length()];
        for (int trial = 0; trial < 1000; trial++) {
            double exact = 0;
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(6)));
                exact += x[i];
            }
            float s = Lanes.sum(FloatVector.fromArray(S, x, 0));
            assertEquals(pairwise(x, 0, x.length), s);
            assertEquals(exact, s, Math.abs(exact) * 1e-5 + 1e-2);
        }
    }

    /** The butterfly's tree for lane 0: sums of lanes congruent modulo half the width, recursively. */
    private static float pairwise(float[] x, int from, int n) {
        float[] v = x.clone();
        for (int w = v.length / 2; w >= 1; w /= 2) {
            float[] next = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                next[i] = v[i] + v[i ^ w];
            }
            v = next;
        }
        return v[0];
    }
}
