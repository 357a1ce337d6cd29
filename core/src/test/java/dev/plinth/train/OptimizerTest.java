package dev.plinth.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.tensor.autograd.Tape;
import dev.plinth.tensor.autograd.Variable;
import java.util.List;
import org.junit.jupiter.api.Test;

/** AdamW, the warm-up cosine schedule and clipping against steps worked out by hand. */
class OptimizerTest {

    /** Gives {@code p} exactly the gradient {@code g}: back-propagates g through p + 0. */
    private static void setGrad(Variable p, float... g) {
        p.zeroGrad();
        Tape tape = new Tape();
        Variable sum = tape.add(p, Variable.constant("zero", new float[p.size()], p.shape()));
        tape.backward(sum, g);
    }

    @Test
    void adamWTwoStepsByHand() {
        Variable p = Variable.parameter("w", new float[] {1f, -2f}, 1, 2);
        AdamW opt = new AdamW(List.of(p), new AdamW.Settings(0.9, 0.999, 1e-8, 0.1), v -> true);
        setGrad(p, 0.5f, -0.1f);
        opt.step(0.1);
        // step 1: m̂ = g, v̂ = g², so each weight moves by lr·sign(g) after decaying by 1 − lr·λ = 0.99
        assertArrayEquals(new float[] {0.89f, -1.88f}, p.data(), 1e-6f);
        setGrad(p, 0.5f, 0.3f);
        opt.step(0.1);
        // step 2, first weight: m = 0.095, v = 0.00049975, v/(1−β₂²) = 0.25 exactly, so it moves by
        // (0.1/0.19)·0.095/0.5 = 0.1: 0.89·0.99 − 0.1 = 0.7811.
        // second weight: m = 0.021, v = 0.00009999, √(v/0.001999) = 0.2236514, step 0.0494190:
        // −1.88·0.99 − 0.0494190 = −1.9106190
        assertArrayEquals(new float[] {0.7811f, -1.910619f}, p.data(), 2e-6f);
        assertEquals(2, opt.steps(p));
    }

    @Test
    void decayOnlyWhereThePredicateSays() {
        Variable matrix = Variable.parameter("blk.0.attn_q.weight", new float[] {2f, 4f}, 1, 2);
        Variable norm = Variable.parameter("blk.0.attn_norm.weight", new float[] {2f, 4f}, 2);
        Variable embedding = Variable.parameter("token_embd.weight", new float[] {2f, 4f}, 1, 2);
        AdamW opt = new AdamW(List.of(matrix, norm, embedding), new AdamW.Settings(0.9, 0.999, 1e-8, 0.5),
                AdamW.decayMatrices(true));
        for (Variable v : List.of(matrix, norm, embedding)) {
            setGrad(v, 0f, 0f);
        }
        opt.step(0.1);
        // zero gradients: Adam moves nothing; only decay (factor 1 − 0.1·0.5) acts, on the matrix alone
        assertArrayEquals(new float[] {1.9f, 3.8f}, matrix.data(), 1e-6f);
        assertArrayEquals(new float[] {2f, 4f}, norm.data());
        assertArrayEquals(new float[] {2f, 4f}, embedding.data());
        assertTrue(AdamW.decayMatrices(false).test(embedding));
    }

    @Test
    void parametersWithoutGradientsAreSkipped() {
        Variable p = Variable.parameter("w", new float[] {1f}, 1, 1);
        AdamW opt = new AdamW(List.of(p), AdamW.Settings.defaults(), v -> true);
        opt.step(0.1);
        assertArrayEquals(new float[] {1f}, p.data());
        assertEquals(0, opt.steps(p));
        assertThrows(IllegalArgumentException.class, () -> new AdamW.Settings(1.0, 0.999, 1e-8, 0));
    }

    @Test
    void warmupThenCosine() {
        double peak = 1e-3;
        double min = 1e-4;
        assertEquals(1e-4, LearningRate.warmupCosine(0, peak, min, 10, 110), 1e-12);
        assertEquals(5e-4, LearningRate.warmupCosine(4, peak, min, 10, 110), 1e-12);
        assertEquals(1e-3, LearningRate.warmupCosine(9, peak, min, 10, 110), 1e-12);
        assertEquals(1e-3, LearningRate.warmupCosine(10, peak, min, 10, 110), 1e-12);
        // halfway through the decay: min + (peak − min)/2
        assertEquals(5.5e-4, LearningRate.warmupCosine(60, peak, min, 10, 110), 1e-12);
        // a quarter: min + (peak − min)·(1 + cos(π/4))/2
        assertEquals(1e-4 + 0.45e-3 * (1 + Math.sqrt(0.5)), LearningRate.warmupCosine(35, peak, min, 10, 110), 1e-12);
        assertEquals(1e-4, LearningRate.warmupCosine(110, peak, min, 10, 110), 1e-12);
        assertEquals(1e-4, LearningRate.warmupCosine(500, peak, min, 10, 110), 1e-12);
        double last = Double.MAX_VALUE;
        for (int s = 10; s <= 110; s++) {
            double lr = LearningRate.warmupCosine(s, peak, min, 10, 110);
            assertTrue(lr <= last, "the decay never rises");
            last = lr;
        }
        assertEquals(1e-3, LearningRate.warmupCosine(0, peak, min, 0, 100), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> LearningRate.warmupCosine(0, peak, min, 20, 10));
    }

    @Test
    void clippingByGlobalNorm() {
        Variable a = Variable.parameter("a", new float[2], 2);
        Variable b = Variable.parameter("b", new float[1], 1);
        Variable none = Variable.parameter("c", new float[3], 3);
        setGrad(a, 3f, 4f);
        setGrad(b, 12f);
        List<Variable> all = List.of(a, b, none);
        assertEquals(13.0, Gradients.globalNorm(all), 1e-12);
        assertEquals(13.0, Gradients.clipGlobalNorm(all, 20), 1e-12);
        assertArrayEquals(new float[] {3f, 4f}, a.grad());
        assertEquals(13.0, Gradients.clipGlobalNorm(all, 6.5), 1e-12);
        assertArrayEquals(new float[] {1.5f, 2f}, a.grad(), 1e-6f);
        assertArrayEquals(new float[] {6f}, b.grad(), 1e-6f);
        assertEquals(6.5, Gradients.globalNorm(all), 1e-5);
        assertThrows(IllegalArgumentException.class, () -> Gradients.clipGlobalNorm(all, 0));
    }
}
