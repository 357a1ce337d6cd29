package dev.plinth.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The quantized decode kernels ({@link Q8Dot}, through {@link MatMul}) give the same bits before
 * and after C2 has compiled them, and stay within float rounding of a double-precision reference
 * both times. The kernels were once right interpreted and under C1 and off by 0.02 of a logit
 * once C2 had compiled them, which only a test that calls them long enough to be compiled sees.
 */
class QuantizedKernelCompilationTest {
    private static final int K = 768;
    private static final int ROWS = 32;
    private static final int BATCH = 16;
    /** Kernel calls before the second comparison: enough for C2 to compile every kernel. */
    private static final int WARM_CALLS = 60_000;

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void sameResultsBeforeAndAfterCompilation(DType type) {
        Random rnd = new Random(700 + type.ordinal());
        try (Arena arena = Arena.ofShared()) {
            Tensor w = randomWeights(arena, type, rnd);
            float[] x = activations(rnd, BATCH * K);
            float[] first = products(w, x);
            assertNearReference(type, w, x, first);
            for (int calls = 0; calls < WARM_CALLS; calls += ROWS * (BATCH + 1)) {
                products(w, x);
            }
            float[] compiled = products(w, x);
            assertNearReference(type, w, x, compiled);
            assertEquals(Arrays.toString(first), Arrays.toString(compiled), type + ": the results changed once the kernels were compiled");
        }
    }

    private static Tensor randomWeights(Arena arena, DType type, Random rnd) {
        float[] w = new float[ROWS * K];
        for (int i = 0; i < w.length; i++) {
            // an offset per row, so that the minimums of Q4_K/Q5_K and the offsets of Q4_0/Q5_0 matter
            w[i] = (float) (rnd.nextGaussian() * 0.3 + (i / K % 3 - 1) * 0.5);
        }
        MemorySegment seg = arena.allocate(type.byteSize((long) ROWS * K), 64);
        Quantization.quantize(type, w, 0, w.length, seg, 0);
        return new Tensor("w", type, new long[] {ROWS, K}, seg);
    }

    /** Activations like hidden states: mostly small, a few outliers, a common offset in some rows. */
    private static float[] activations(Random rnd, int count) {
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            x[i] = (float) (rnd.nextGaussian() * (rnd.nextInt(50) == 0 ? 20 : 1) + (i / K % 2) * 2);
        }
        return x;
    }

    /** Every row of W times the first activation row (matvec), then times all rows (matmul). */
    private static float[] products(Tensor w, float[] x) {
        float[] y = new float[ROWS * (BATCH + 1)];
        float[] one = new float[ROWS];
        MatMul.matvec(w, x, one);
        System.arraycopy(one, 0, y, 0, ROWS);
        float[] batch = new float[ROWS * BATCH];
        MatMul.matmul(w, x, BATCH, batch);
        System.arraycopy(batch, 0, y, ROWS, batch.length);
        return y;
    }

    /**
     * Each product against Σ w·x in double over the decoded weights and the Q8-rounded activations
     * (for Q4_1 and Q5_1 with the minimum times the activations' F16-rounded block sum, as ggml has it).
     */
    private static void assertNearReference(DType type, Tensor w, float[] x, float[] y) {
        float[] decoded = new float[ROWS * K];
        Quantization.dequantize(type, w.data(), 0, decoded, 0, decoded.length);
        float[] rounded = new float[BATCH * K];
        Q8Activations.rounded(type, x, BATCH, K, rounded);
        Q8Activations a = Q8Activations.quantize(Q8Activations.typeFor(type), x, 0, BATCH, K);
        for (int i = 0; i <= BATCH; i++) {
            int xRow = Math.max(0, i - 1);
            for (int r = 0; r < ROWS; r++) {
                double sum = a.type == DType.Q8_1 ? f16BlockSumRounding(w, a, r, xRow) : 0;
                double magnitude = 0;
                for (int j = 0; j < K; j++) {
                    double p = (double) decoded[r * K + j] * rounded[xRow * K + j];
                    sum += p;
                    magnitude += Math.abs(p);
                }
                double tolerance = 2e-6 * magnitude;
                float got = y[i * ROWS + r];
                if (!(Math.abs(got - sum) <= tolerance)) {
                    fail(type + " row " + r + " activations " + xRow + ": " + got + " against " + sum + " (tolerance " + tolerance + ")");
                }
            }
        }
    }

    /** Σ over blocks of the weight minimum · (F16(d·Σq) − d·Σq): what Q8_1's rounded block sums add. */
    private static double f16BlockSumRounding(Tensor w, Q8Activations a, int r, int xRow) {
        long blockBytes = w.dtype().byteSize(32);
        double sum = 0;
        for (int b = 0; b < K / 32; b++) {
            int block = xRow * (K / 32) + b;
            float min = HalfFloat.f16(w.data(), (r * (K / 32) + b) * blockBytes + 2);
            double quants = 0;
            for (int j = 0; j < 32; j++) {
                quants += a.q[block * 32 + j];
            }
            sum += (double) min * (a.sums[block] - a.d[block] * quants);
        }
        return sum;
    }
}
