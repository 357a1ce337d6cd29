package dev.plinth.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The packed GEMM's rounded activations are, bit for bit, the quants times their block scale. */
class Q8ActivationsTest {
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_1", "Q4_K", "Q6_K"})
    void roundedEqualsQuantsTimesScale(DType weight) {
        Random rnd = new Random(14 + weight.ordinal());
        int rows = 5;
        int k = 768;
        float[] x = new float[rows * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian()));
        }
        java.util.Arrays.fill(x, k, k + 256, 0f);                // a block of zeros
        for (int i = 2 * k; i < 2 * k + 256; i++) {              // halves after scaling: rint's ties
            x[i] = (rnd.nextInt(255) - 127) * 0.5f;
        }
        x[2 * k + 3] = 63.5f;
        x[2 * k + 7] = -63.5f;                                   // two values of the largest magnitude
        x[3 * k + 10] = -Float.MIN_VALUE;
        float[] got = new float[x.length];
        Q8Activations.rounded(weight, x, rows, k, got);
        Q8Activations q = Q8Activations.quantize(Q8Activations.typeFor(weight), x, 0, rows, k);
        int block = q.type == DType.Q8_K ? 256 : 32;
        for (int i = 0; i < x.length; i++) {
            float expected = q.q[i] * q.d[i / block];
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got[i]),
                    weight + " value " + i + ": " + expected + " vs " + got[i]);
        }
    }
}
