package dev.plinth.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link MatMul#inputGradient}: {@code dX = dY·W} for weights of every type {@link MatMul} takes,
 * against a double-precision product with the weights decoded whole ({@link Quantization#toF32}).
 * Widths of 1,280 span more than one packed column block (672 columns), so blocks are decoded
 * from the middle of a row; each output may differ by {@code 1e-5 · Σ|dy·w| + 1e-6} (float sums).
 */
class MatMulInputGradientTest {

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K",
        "Q5_K", "Q6_K"})
    void equalsTheProductWithTheDecodedWeights(DType type) {
        for (int[] shape : new int[][] {{3, 70, 1280}, {130, 33, 512}}) {
            check(type, shape[0], shape[1], shape[2], type.ordinal() * 31L + shape[0]);
        }
    }

    private static void check(DType type, int m, int n, int k, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor w = Quantization.quantize(Tensor.ofFloats("w", gaussian(rnd, n * k), n, k), type);
        float[] decoded = Quantization.toF32(w).data().toArray(ValueLayout.JAVA_FLOAT);
        float[] dy = gaussian(rnd, m * n);
        float[] start = gaussian(rnd, m * k);
        float[] dx = start.clone();
        MatMul.inputGradient(w, dy, m, dx, true);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                double sum = start[i * k + j];
                double magnitude = 0;
                for (int r = 0; r < n; r++) {
                    double t = (double) dy[i * n + r] * decoded[r * k + j];
                    sum += t;
                    magnitude += Math.abs(t);
                }
                double err = Math.abs(dx[i * k + j] - sum);
                assertTrue(err <= 1e-5 * magnitude + 1e-6, type + " " + m + "x" + n + "x" + k + " at (" + i + ", " + j
                        + "): " + dx[i * k + j] + " vs " + sum);
            }
        }
        float[] overwritten = start.clone();
        MatMul.inputGradient(w, dy, m, overwritten, false);
        assertEquals(dx[0] - start[0], overwritten[0], 1e-5 * (1 + Math.abs(dx[0])));
    }

    @Test
    void refusesArraysOfTheWrongSize() {
        Tensor w = Tensor.ofFloats("w", new float[12], 3, 4);
        assertThrows(IllegalArgumentException.class, () -> MatMul.inputGradient(w, new float[5], 2, new float[8], false));
        assertThrows(IllegalArgumentException.class, () -> MatMul.inputGradient(w, new float[6], 2, new float[7], false));
    }

    private static float[] gaussian(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }
}
