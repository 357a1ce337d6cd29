package dev.plinth.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Matrix products against a double-precision reference on the decoded weights (and, for quantized
 * weights, the Q8-rounded activations they are multiplied with). Tolerance: each output may differ
 * from the reference by {@code 1e-4 · Σ|w·x| + 1e-5} (float accumulation, and the block-offset
 * terms that quantized kernels take out of the loop); Q4_1/Q5_1 references use the F16-rounded block
 * sums of Q8_1 activations that ggml multiplies their block minimums with.
 */
class MatMulTest {

    /** Weights and the values they decode to. */
    record Weights(Tensor tensor, float[] decoded) {
    }

    private static float[] gaussian(Random rnd, int count, double scale) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (rnd.nextGaussian() * scale);
        }
        return v;
    }

    private static Weights plainWeights(DType type, Random rnd, int n, int k, boolean offHeap) {
        float[] src = gaussian(rnd, n * k, 1);
        long bytes = type.byteSize((long) n * k);
        MemorySegment seg = offHeap ? Arena.ofAuto().allocate(bytes, 1) : MemorySegment.ofArray(new byte[(int) bytes]);
        float[] decoded = new float[n * k];
        for (int i = 0; i < src.length; i++) {
            switch (type) {
                case F32 -> {
                    seg.set(LittleEndian.FLOAT, 4L * i, src[i]);
                    decoded[i] = src[i];
                }
                case F16 -> {
                    short h = Float.floatToFloat16(src[i]);
                    seg.set(LittleEndian.SHORT, 2L * i, h);
                    decoded[i] = Float.float16ToFloat(h);
                }
                case BF16 -> {
                    short h = (short) (Float.floatToRawIntBits(src[i]) >>> 16);
                    seg.set(LittleEndian.SHORT, 2L * i, h);
                    decoded[i] = Float.intBitsToFloat((h & 0xFFFF) << 16);
                }
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
        return new Weights(new Tensor("w", type, new long[] {n, k}, seg), decoded);
    }

    private static Weights quantWeights(GgmlMatrices ggml, DType type, Random rnd, int n, int k, boolean offHeap) {
        float[] src = gaussian(rnd, n * k, 1);
        MemorySegment seg = ggml.quantize(type, src, n, k);
        if (offHeap) {
            MemorySegment native_ = Arena.ofAuto().allocate(seg.byteSize(), 1);
            native_.copyFrom(seg);
            seg = native_;
        }
        float[] decoded = ggml.dequantize(type, seg, n * k);
        return new Weights(new Tensor("w", type, new long[] {n, k}, seg), decoded);
    }

    /** A term ggml's formula adds to output (activation row i, weight row r). */
    interface Correction {
        double of(int i, int r);
    }

    private static void assertProduct(String what, float[] w, float[] x, int m, int n, int k, float[] y) {
        assertProduct(what, w, x, m, n, k, y, (i, r) -> 0);
    }

    private static void assertProduct(String what, float[] w, float[] x, int m, int n, int k, float[] y, Correction correction) {
        for (int i = 0; i < m; i++) {
            for (int r = 0; r < n; r++) {
                double ref = 0;
                double mag = 0;
                for (int p = 0; p < k; p++) {
                    double t = (double) w[r * k + p] * x[i * k + p];
                    ref += t;
                    mag += Math.abs(t);
                }
                ref += correction.of(i, r);
                double tol = 1e-4 * mag + 1e-5;
                float got = y[i * n + r];
                if (!(Math.abs(got - ref) <= tol)) {
                    fail(what + ": row " + i + " col " + r + " got " + got + " expected " + ref + " (tolerance " + tol + ")");
                }
            }
        }
    }

    /**
     * The activations a product with {@code type} weights multiplies: x itself, or for quantized
     * weights x rounded to Q8 as llama.cpp does (that rounding is checked against ggml's in
     * {@link GgmlVecDotConformanceTest}).
     */
    private static float[] asMultiplied(DType type, float[] x, int m, int k) {
        if (type.blockSize() == 1) {
            return x;
        }
        float[] rounded = new float[m * k];
        Q8Activations.rounded(type, x, m, k, rounded);
        return rounded;
    }

    /**
     * Q4_1/Q5_1 weights meet Q8_1 activations, whose block sums s ggml stores as F16: their block
     * minimum m contributes {@code m·s}, not {@code m·d·Σq}; the difference, per output.
     */
    private static Correction q81Correction(Tensor w, float[] x, int m) {
        DType type = w.dtype();
        if (type != DType.Q4_1 && type != DType.Q5_1) {
            return (i, r) -> 0;
        }
        int k = (int) w.dim(1);
        Q8Activations a = Q8Activations.quantize(DType.Q8_1, x, 0, m, k);
        long rowBytes = type.byteSize(k);
        return (i, r) -> {
            double c = 0;
            for (int b = 0; b < k / 32; b++) {
                double min = Float.float16ToFloat(w.data().get(LittleEndian.SHORT, r * rowBytes + (long) type.blockBytes() * b + 2));
                double sum = 0;
                for (int j = 0; j < 32; j++) {
                    sum += a.q[i * k + 32 * b + j];
                }
                int block = i * (k / 32) + b;
                c += min * (a.sums[block] - (double) a.d[block] * sum);
            }
            return c;
        };
    }

    private static void checkAll(String name, Weights w, Random rnd) {
        int n = (int) w.tensor().dim(0);
        int k = (int) w.tensor().dim(1);
        // matvec with offsets into larger arrays
        int xOff = rnd.nextInt(5);
        int yOff = rnd.nextInt(5);
        float[] x = gaussian(rnd, k + xOff + 3, 1);
        float[] y = new float[n + yOff + 2];
        MatMul.matvec(w.tensor(), x, xOff, y, yOff);
        float[] xs = java.util.Arrays.copyOfRange(x, xOff, xOff + k);
        float[] ys = java.util.Arrays.copyOfRange(y, yOff, yOff + n);
        DType type = w.tensor().dtype();
        assertProduct(name + " matvec", w.decoded(), asMultiplied(type, xs, 1, k), 1, n, k, ys, q81Correction(w.tensor(), xs, 1));
        // 65 rows take the packed path (weights decoded into Sgemm panels, quantized ones meeting Q8-rounded activations)
        for (int m : new int[] {1, 2, 3, 8, 65}) {
            float[] xm = gaussian(rnd, m * k, 1);
            float[] ym = new float[m * n];
            MatMul.matmul(w.tensor(), xm, m, ym);
            // the packed path multiplies the rounded activations themselves, so a Q4_1/Q5_1 minimum meets
            // their exact sum, not Q8_1's F16-rounded one
            Correction q81 = m >= MatMul.PACKED_MIN_ROWS ? (i, r) -> 0 : q81Correction(w.tensor(), xm, m);
            assertProduct(name + " matmul m=" + m, w.decoded(), asMultiplied(type, xm, m, k), m, n, k, ym, q81);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void plainTypesMatchReference(DType type) {
        Random rnd = new Random(1000 + type.ordinal());
        int[] ks = {1, 7, 8, 17, 33, 64, 100, 257};
        int[] ns = {1, 2, 3, 5, 9, 13};
        for (int c = 0; c < 12; c++) {
            int k = ks[rnd.nextInt(ks.length)];
            int n = ns[rnd.nextInt(ns.length)];
            checkAll(type + " n=" + n + " k=" + k, plainWeights(type, rnd, n, k, c % 2 == 1), rnd);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void quantizedTypesMatchGgml(DType type) {
        GgmlMatrices ggml = new GgmlMatrices();
        Random rnd = new Random(2000 + type.ordinal());
        int[] ns = {1, 2, 3, 4, 5, 7, 9};
        for (int c = 0; c < 10; c++) {
            int blocks = 1 + rnd.nextInt(type.blockSize() == 256 ? 3 : 9);
            int k = blocks * type.blockSize();
            int n = ns[rnd.nextInt(ns.length)];
            checkAll(type + " n=" + n + " k=" + k, quantWeights(ggml, type, rnd, n, k, c % 2 == 1), rnd);
        }
    }

    /** The same check with Plinth's own {@link Quantization} (no native library needed). */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void allTypesMatchQuantizationReference(DType type) {
        Random rnd = new Random(4000 + type.ordinal());
        int[] ns = {1, 2, 3, 4, 5, 7, 9};
        for (int c = 0; c < 8; c++) {
            int unit = Math.max(type.blockSize(), 1);
            int k = unit == 1 ? 1 + rnd.nextInt(70) : unit * (1 + rnd.nextInt(unit == 256 ? 3 : 9));
            int n = ns[rnd.nextInt(ns.length)];
            float[] src = gaussian(rnd, n * k, 1);
            long bytes = type.byteSize((long) n * k);
            MemorySegment seg = c % 2 == 1 ? Arena.ofAuto().allocate(bytes, 1) : MemorySegment.ofArray(new byte[(int) bytes]);
            Quantization.quantize(type, src, 0, n * k, seg, 0);
            float[] decoded = new float[n * k];
            Quantization.dequantize(type, seg, 0, decoded, 0, n * k);
            checkAll(type + " n=" + n + " k=" + k, new Weights(new Tensor("w", type, new long[] {n, k}, seg), decoded), rnd);
        }
    }

    /** Arbitrary block bytes (any scale, any bits), decoded by ggml, exercise every bit path. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void randomBlockBytesMatchGgml(DType type) {
        GgmlMatrices ggml = new GgmlMatrices();
        Random rnd = new Random(3000 + type.ordinal());
        for (int c = 0; c < 6; c++) {
            int n = 1 + rnd.nextInt(6);
            int k = type.blockSize() * (1 + rnd.nextInt(3));
            byte[] bytes = new byte[(int) type.byteSize((long) n * k)];
            rnd.nextBytes(bytes);
            MemorySegment seg = MemorySegment.ofArray(bytes);
            // keep f16 scales finite and moderate: overwrite every f16 field position with a sane value
            sanitizeScales(type, seg, rnd);
            float[] decoded = ggml.dequantize(type, seg, n * k);
            checkAll(type + " random bytes n=" + n + " k=" + k, new Weights(new Tensor("w", type, new long[] {n, k}, seg), decoded), rnd);
        }
    }

    private static void sanitizeScales(DType type, MemorySegment seg, Random rnd) {
        long blocks = seg.byteSize() / type.blockBytes();
        int[] f16Offsets = switch (type) {
            case Q8_0, Q4_0, Q5_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> new int[0];
        };
        for (long b = 0; b < blocks; b++) {
            for (int o : f16Offsets) {
                seg.set(LittleEndian.SHORT, b * type.blockBytes() + o, Float.floatToFloat16((float) rnd.nextGaussian() * 0.01f));
            }
        }
    }

    /** Every F16 bit pattern through the vector kernel: row r is [half r, 0, ..., 0], x = [1, 0, ..., 0]. */
    @Test
    void everyHalfDecodesExactly() {
        int n = 65536;
        int k = 64;
        MemorySegment seg = Arena.ofAuto().allocate(2L * n * k, 64);
        for (int r = 0; r < n; r++) {
            seg.set(LittleEndian.SHORT, 2L * k * r, (short) r);
        }
        float[] x = new float[k];
        x[0] = 1;
        float[] y = new float[n];
        MatMul.matvec(new Tensor("w", DType.F16, new long[] {n, k}, seg), x, y);
        for (int r = 0; r < n; r++) {
            float expected = Float.float16ToFloat((short) r);
            if (Float.isNaN(expected) ? !Float.isNaN(y[r]) : y[r] != expected) {
                fail("half 0x" + Integer.toHexString(r) + " gave " + y[r] + ", expected " + expected);
            }
        }
    }

    @Test
    void gemmMatchesReference() {
        Random rnd = new Random(42);
        int[][] shapes = {{1, 1, 1}, {1, 5, 3}, {2, 4, 8}, {3, 7, 17}, {5, 9, 33}, {8, 12, 64}, {17, 13, 100}, {4, 1, 9}, {1, 4, 257}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = gaussian(rnd, m * k, 1);
            float[] b = gaussian(rnd, n * k, 1);
            float[] c = new float[m * n];
            MatMul.gemm(a, b, c, m, n, k);
            assertProduct("gemm " + m + "x" + n + "x" + k, b, a, m, n, k, c);
        }
    }

    @Test
    void largeParallelProductsMatchSerialDot() {
        Random rnd = new Random(7);
        int n = 300, k = 512, m = 5;
        Weights w = plainWeights(DType.F32, rnd, n, k, false);
        float[] x = gaussian(rnd, m * k, 1);
        float[] y = new float[m * n];
        MatMul.matmul(w.tensor(), x, m, y);
        assertProduct("parallel matmul", w.decoded(), x, m, n, k, y);
        // a packed batch: several column panels and k-blocks of F16 weights
        Weights h = plainWeights(DType.F16, rnd, n, k, true);
        int mp = 70;
        float[] xp = gaussian(rnd, mp * k, 1);
        float[] yp = new float[mp * n];
        MatMul.matmul(h.tensor(), xp, mp, yp);
        assertProduct("packed matmul", h.decoded(), xp, mp, n, k, yp);
        float[] c = new float[m * n];
        MatMul.gemm(x, w.decoded(), c, m, n, k);
        assertProduct("parallel gemm", w.decoded(), x, m, n, k, c);
        // more A rows than one cache block (64K floats / k) holds, odd m and n
        int m2 = 151, n2 = 9, k2 = 520;
        float[] a2 = gaussian(rnd, m2 * k2, 1);
        float[] b2 = gaussian(rnd, n2 * k2, 1);
        float[] c2 = new float[m2 * n2];
        MatMul.gemm(a2, b2, c2, m2, n2, k2);
        assertProduct("blocked gemm", b2, a2, m2, n2, k2, c2);
    }

    @Test
    void rejectsBadShapesAndSizes() {
        float[] x = new float[64];
        float[] y = new float[4];
        Tensor notBlocks = new Tensor("w", DType.Q4_0, new long[] {1, 48}, MemorySegment.ofArray(new byte[64]));
        assertThrows(IllegalArgumentException.class, () -> MatMul.matvec(notBlocks, x, y));
        Tensor tooShort = new Tensor("w", DType.Q8_0, new long[] {4, 32}, MemorySegment.ofArray(new byte[34 * 3]));
        assertThrows(IllegalArgumentException.class, () -> MatMul.matvec(tooShort, x, y));
        Tensor ok = new Tensor("w", DType.F32, new long[] {4, 64}, MemorySegment.ofArray(new float[256]));
        assertThrows(IllegalArgumentException.class, () -> MatMul.matvec(ok, new float[63], y));
        assertThrows(IllegalArgumentException.class, () -> MatMul.matvec(ok, x, new float[3]));
        assertThrows(IllegalArgumentException.class, () -> MatMul.matmul(ok, x, 2, new float[8]));
        Tensor q8k = new Tensor("w", DType.Q8_K, new long[] {1, 256}, MemorySegment.ofArray(new byte[292]));
        assertThrows(IllegalArgumentException.class, () -> MatMul.matvec(q8k, new float[256], new float[1]));
        assertThrows(IllegalArgumentException.class, () -> MatMul.gemm(new float[3], new float[3], new float[1], 1, 1, 4));
        assertTrue(MatMul.supported(DType.Q6_K));
        assertArrayEquals(new float[4], new float[4]);
    }
}
