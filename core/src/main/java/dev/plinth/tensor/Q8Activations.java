package dev.plinth.tensor;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rows of F32 activations quantized the way llama.cpp's CPU backend quantizes the right-hand side
 * of a quantized matrix product (once per product, to the weight type's {@code vec_dot_type}):
 * Q8_0 for Q8_0/Q4_0/Q5_0 weights, Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants.
 *
 * <p>Q8_0 and Q8_1 follow ggml's x86 {@code quantize_row_q8_0}/{@code quantize_row_q8_1} (not the
 * portable {@code _ref} versions): scale {@code d = max|x|/127} stored as F16, values
 * {@code rint(x · 127/max|x|)} (ties to even), and for Q8_1 {@code s = F16(d · Σq)}. Q8_K follows
 * {@code quantize_row_q8_K_ref}, which is what x86 uses: {@code d = 1/iscale} as F32 and 16-value
 * sums of the quants.
 *
 * <p>The quants are kept as floats holding small integers: every product of two of them and every
 * per-lane sum the kernels form stays below 2^24, so float arithmetic computes ggml's integer
 * dot products exactly, and the weights' bytes can be widened to floats with one conversion.
 */
final class Q8Activations {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final float ROUNDER = 12582912f;

    /** Q8_0, Q8_1 or Q8_K. */
    final DType type;
    final int rows;
    final int k;
    /** rows·k quants, integers in [-127, 127]. */
    final float[] q;
    /** One scale per block (32 or 256 values), the value ggml multiplies with (F16-rounded for Q8_0/Q8_1). */
    final float[] d;
    /** Q8_1: {@code F16(d · Σq)} per 32-block; Q8_K: Σq per 16 values; otherwise empty. */
    final float[] sums;

    /** Q8_K: Σq per 32 values (the sums Q4_K/Q5_K minimums multiply); otherwise empty. */
    final int[] sums32;

    private Q8Activations(DType type, int rows, int k) {
        this.type = type;
        this.rows = rows;
        this.k = k;
        int block = type == DType.Q8_K ? 256 : 32;
        this.q = new float[rows * k];
        this.d = new float[rows * (k / block)];
        this.sums = new float[switch (type) {
            case Q8_1 -> rows * (k / 32);
            case Q8_K -> rows * (k / 16);
            default -> 0;
        }];
        this.sums32 = new int[type == DType.Q8_K ? rows * (k / 32) : 0];
    }

    /** The activation type llama.cpp's CPU backend pairs with weights of {@code weight} type. */
    static DType typeFor(DType weight) {
        return switch (weight) {
            case Q8_0, Q4_0, Q5_0 -> DType.Q8_0;
            case Q4_1, Q5_1 -> DType.Q8_1;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> DType.Q8_K;
            default -> throw new IllegalArgumentException("no quantized activations for " + weight + " weights");
        };
    }

    /**
     * {@code rows} rows of {@code k} activations as the products with {@code weight}-type weights see
     * them, written to {@code out}: quantized as {@link #quantize} quantizes them, then {@code q · d}
     * per block, bit for bit, with vectors and without the quants' own arrays (the packed GEMM needs
     * only these values). Rounding to the nearest integer adds and subtracts 1.5·2²³, which is
     * {@link Math#rint} for the magnitudes here (at most 127).
     */
    static void rounded(DType weight, float[] x, int rows, int k, float[] out) {
        boolean kQuant = typeFor(weight) == DType.Q8_K;
        Parallel.parallelFor(rows, Math.max(1, 4096 / k), (a, b) -> {
            for (int r = a; r < b; r++) {
                if (kQuant) {
                    roundRow256(x, r * k, k, out);
                } else {
                    roundRow32(x, r * k, k, out);
                }
            }
        });
    }

    /** Q8_0 and Q8_1 ({@link #quantize32}): {@code rint(x·127/max|x|) · F16(max|x|/127)} per 32 values. */
    private static void roundRow32(float[] x, int off, int k, float[] out) {
        for (int from = off; from < off + k; from += 32) {
            float max = maxAbs(x, from, 32);
            float id = max != 0 ? 127f / max : 0f;
            float d = Float.float16ToFloat(Float.floatToFloat16(max / 127f));
            for (int j = 0; j < 32; j += L) {
                FloatVector.fromArray(S, x, from + j).mul(id).add(ROUNDER).sub(ROUNDER).mul(d).intoArray(out, from + j);
            }
        }
    }

    /** Q8_K ({@link #quantize256}): {@code min(127, rint(x·iscale)) / iscale} per 256 values. */
    private static void roundRow256(float[] x, int off, int k, float[] out) {
        for (int from = off; from < off + k; from += 256) {
            float amax = maxAbs(x, from, 256);
            if (amax == 0) {
                Arrays.fill(out, from, from + 256, 0f);
                continue;
            }
            float iscale = -127f / firstWithMagnitude(x, from, amax);
            float d = 1 / iscale;
            for (int j = 0; j < 256; j += L) {
                FloatVector.fromArray(S, x, from + j).mul(iscale).add(ROUNDER).sub(ROUNDER).min(127f).mul(d)
                        .intoArray(out, from + j);
            }
        }
    }

    private static float maxAbs(float[] x, int from, int n) {
        FloatVector m = FloatVector.zero(S);
        for (int j = 0; j < n; j += L) {
            m = m.max(FloatVector.fromArray(S, x, from + j).abs());
        }
        return m.reduceLanes(VectorOperators.MAX);
    }

    /** The first value of {@code x[from ..]} whose magnitude is {@code amax} (as {@link QuantMath#maxByMagnitude} picks). */
    private static float firstWithMagnitude(float[] x, int from, float amax) {
        for (int j = from; ; j += L) {
            VectorMask<Float> hit = FloatVector.fromArray(S, x, j).abs().eq(amax);
            if (hit.anyTrue()) {
                return x[j + hit.firstTrue()];
            }
        }
    }

    /** Quantizes {@code rows} rows of {@code k} values from {@code x[xOff ..]} to {@code type}. */
    static Q8Activations quantize(DType type, float[] x, int xOff, int rows, int k) {
        Q8Activations a = new Q8Activations(type, rows, k);
        for (int r = 0; r < rows; r++) {
            switch (type) {
                case Q8_0, Q8_1 -> a.quantize32(x, xOff + r * k, r * k, type == DType.Q8_1);
                case Q8_K -> a.quantize256(x, xOff + r * k, r * k);
                default -> throw new IllegalArgumentException("not an activation type: " + type);
            }
        }
        return a;
    }

    private void quantize32(float[] x, int xOff, int qOff, boolean withSum) {
        for (int b = 0; b < k / 32; b++) {
            int from = xOff + 32 * b;
            float max = 0;
            for (int j = 0; j < 32; j++) {
                max = Math.max(max, Math.abs(x[from + j]));
            }
            float scale = max / 127f;
            float id = max != 0 ? 127f / max : 0f;
            int sum = 0;
            for (int j = 0; j < 32; j++) {
                int v = (int) Math.rint(x[from + j] * id);
                q[qOff + 32 * b + j] = v;
                sum += v;
            }
            int block = qOff / 32 + b;
            d[block] = Float.float16ToFloat(Float.floatToFloat16(scale));
            if (withSum) {
                sums[block] = Float.float16ToFloat(Float.floatToFloat16(sum * scale));
            }
        }
    }

    private void quantize256(float[] x, int xOff, int qOff) {
        for (int b = 0; b < k / 256; b++) {
            int from = xOff + 256 * b;
            int to = qOff + 256 * b;
            float max = QuantMath.maxByMagnitude(x, from, 256);
            if (max == 0) {
                d[qOff / 256 + b] = 0;
                continue; // quants and sums stay zero
            }
            float iscale = -127f / max;
            for (int j = 0; j < 256; j++) {
                q[to + j] = Math.min(127, QuantMath.nearestInt(iscale * x[from + j]));
            }
            for (int g = 0; g < 16; g++) {
                int s = 0;
                for (int j = 0; j < 16; j++) {
                    s += (int) q[to + 16 * g + j];
                }
                sums[to / 16 + g] = s;
                sums32[to / 32 + g / 2] += s;
            }
            d[qOff / 256 + b] = 1 / iscale;
        }
    }
}
