package dev.plinth.tensor;

import static dev.plinth.tensor.HalfFloat.f16;
import static dev.plinth.tensor.KQuants.packedMins;
import static dev.plinth.tensor.KQuants.packedScales;
import static dev.plinth.tensor.KQuants.subBlock;
import static dev.plinth.tensor.LittleEndian.INT;
import static dev.plinth.tensor.LittleEndian.ORDER;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of one quantized weight row (GGUF layout, in a {@link MemorySegment}) with one row
 * of {@link Q8Activations}, with ggml's {@code ggml_vec_dot_<type>_q8_<0|1|K>} arithmetic: an exact
 * integer sum per block (per super-block for K-quants, with the 6- or 8-bit sub-block scales inside
 * the integer sum), multiplied by the weight scale times the activation scale, and the block
 * minimums (Q4_1, Q5_1, Q4_K, Q5_K) applied through the activations' block sums.
 *
 * <p>The integer sums are formed in float lanes: weight bytes widened to floats, multiplied by the
 * activation quants (integers kept as floats) and summed per lane. Every partial sum is an integer
 * below 2^24 (bounds at each kernel), so the floats hold ggml's integers exactly; only the order
 * of the final scaled additions differs from ggml's SIMD code (by float rounding).
 * One method per weight type keeps every hot loop monomorphic.
 */
final class Q8Dot {
    /** 16 float lanes where the hardware has them (AVX-512), else 8. */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() >= 16
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    static final int L = F.length();
    static final VectorSpecies<Integer> I = F.withLanes(int.class).check(int.class);
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * L));
    /** Lane numbers 0, 1, ..., L-1. */
    private static final IntVector LANE = IntVector.zero(I).addIndex(1);

    private Q8Dot() {
    }

    /** L signed bytes widened to ints. */
    private static IntVector ints(MemorySegment seg, long off) {
        return (IntVector) ByteVector.fromMemorySegment(B, seg, off, ORDER).convertShape(VectorOperators.B2I, I, 0);
    }

    private static FloatVector floats(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    private static FloatVector xv(float[] q, int i) {
        return FloatVector.fromArray(F, q, i);
    }

    private static FloatVector splat(float v) {
        return FloatVector.broadcast(F, v);
    }

    /** Q8_0 · Q8_0. Per lane and block: at most 4 products of 127·127 (< 2^17). */
    static float q8_0(MemorySegment seg, long off, Q8Activations a, int row) {
        int k = a.k;
        float[] q = a.q;
        int dOff = row * (k / 32);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < k / 32; b++) {
            long p = off + 34L * b;
            int xi = row * k + 32 * b;
            FloatVector t = floats(ints(seg, p + 2)).mul(xv(q, xi));
            for (int i = L; i < 32; i += L) {
                t = floats(ints(seg, p + 2 + i)).fma(xv(q, xi + i), t);
            }
            acc = t.fma(splat(f16(seg, p) * a.d[dOff + b]), acc);
        }
        return Lanes.sum(acc);
    }

    /** Q4_0 · Q8_0: value j is the low nibble of byte j, value j+16 the high nibble, both minus 8. */
    static float q4_0(MemorySegment seg, long off, Q8Activations a, int row) {
        int k = a.k;
        float[] q = a.q;
        int dOff = row * (k / 32);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < k / 32; b++) {
            long p = off + 18L * b;
            int xi = row * k + 32 * b;
            FloatVector t = FloatVector.zero(F);
            for (int i = 0; i < 16; i += L) {
                IntVector v = ints(seg, p + 2 + i);
                t = floats(v.and(0xF).sub(8)).fma(xv(q, xi + i), t);
                t = floats(v.lanewise(VectorOperators.ASHR, 4).and(0xF).sub(8)).fma(xv(q, xi + 16 + i), t);
            }
            acc = t.fma(splat(f16(seg, p) * a.d[dOff + b]), acc);
        }
        return Lanes.sum(acc);
    }

    /** Q4_1 · Q8_1: {@code d·dy·Σq·y + m·s} with s the activations' F16 {@code dy·Σy}. */
    static float q4_1(MemorySegment seg, long off, Q8Activations a, int row) {
        int k = a.k;
        float[] q = a.q;
        int dOff = row * (k / 32);
        FloatVector acc = FloatVector.zero(F);
        float mins = 0;
        for (int b = 0; b < k / 32; b++) {
            long p = off + 20L * b;
            int xi = row * k + 32 * b;
            FloatVector t = FloatVector.zero(F);
            for (int i = 0; i < 16; i += L) {
                IntVector v = ints(seg, p + 4 + i);
                t = floats(v.and(0xF)).fma(xv(q, xi + i), t);
                t = floats(v.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(xv(q, xi + 16 + i), t);
            }
            acc = t.fma(splat(f16(seg, p) * a.d[dOff + b]), acc);
            mins += f16(seg, p + 2) * a.sums[dOff + b];
        }
        return Lanes.sum(acc) + mins;
    }

    /** The fifth bits of L values starting at value {@code first}: bit (first + lane) of qh, at bit 4. */
    private static IntVector highBits(int qh, int first) {
        return IntVector.broadcast(I, qh).lanewise(VectorOperators.LSHR, LANE.add(first)).and(1).lanewise(VectorOperators.LSHL, 4);
    }

    /** Q5_0 · Q8_0: Q4_0's nibbles plus a fifth bit from qh, minus 16. */
    static float q5_0(MemorySegment seg, long off, Q8Activations a, int row) {
        int k = a.k;
        float[] q = a.q;
        int dOff = row * (k / 32);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < k / 32; b++) {
            long p = off + 22L * b;
            int xi = row * k + 32 * b;
            int qh = seg.get(INT, p + 2);
            FloatVector t = FloatVector.zero(F);
            for (int i = 0; i < 16; i += L) {
                IntVector v = ints(seg, p + 6 + i);
                t = floats(v.and(0xF).or(highBits(qh, i)).sub(16)).fma(xv(q, xi + i), t);
                t = floats(v.lanewise(VectorOperators.ASHR, 4).and(0xF).or(highBits(qh, 16 + i)).sub(16)).fma(xv(q, xi + 16 + i), t);
            }
            acc = t.fma(splat(f16(seg, p) * a.d[dOff + b]), acc);
        }
        return Lanes.sum(acc);
    }

    /** Q5_1 · Q8_1. */
    static float q5_1(MemorySegment seg, long off, Q8Activations a, int row) {
        int k = a.k;
        float[] q = a.q;
        int dOff = row * (k / 32);
        FloatVector acc = FloatVector.zero(F);
        float mins = 0;
        for (int b = 0; b < k / 32; b++) {
            long p = off + 24L * b;
            int xi = row * k + 32 * b;
            int qh = seg.get(INT, p + 4);
            FloatVector t = FloatVector.zero(F);
            for (int i = 0; i < 16; i += L) {
                IntVector v = ints(seg, p + 8 + i);
                t = floats(v.and(0xF).or(highBits(qh, i))).fma(xv(q, xi + i), t);
                t = floats(v.lanewise(VectorOperators.ASHR, 4).and(0xF).or(highBits(qh, 16 + i))).fma(xv(q, xi + 16 + i), t);
            }
            acc = t.fma(splat(f16(seg, p) * a.d[dOff + b]), acc);
            mins += f16(seg, p + 2) * a.sums[dOff + b];
        }
        return Lanes.sum(acc) + mins;
    }

    /** Σ over the 8 sub-blocks of min · (sum of the sub-block's 32 activation quants). */
    private static int minsDot(long mins, int[] sums32, int g) {
        int s = 0;
        for (int j = 0; j < 8; j++) {
            s += subBlock(mins, j) * sums32[g + j];
        }
        return s;
    }

    /**
     * Q4_K · Q8_K. Sub-block s (32 values) is the low (even s) or high (odd s) nibbles of bytes
     * 32·(s/2) .. +31; one flat loop over sub-blocks keeps the body small enough for C2 to inline
     * every vector operation. Per lane and super-block: 256/L values, each at most 15·127·63,
     * below 2^22.
     */
    static float q4_k(MemorySegment seg, long off, Q8Activations a, int row) {
        int k = a.k;
        float[] q = a.q;
        FloatVector acc = FloatVector.zero(F);
        float mins = 0;
        for (int sb = 0; sb < k / 256; sb++) {
            long p = off + 144L * sb;
            int xi = row * k + 256 * sb;
            float dy = a.d[row * (k / 256) + sb];
            long scales = packedScales(seg, p + 4);
            FloatVector sum = FloatVector.zero(F);
            for (int s = 0; s < 8; s++) {
                long qs = p + 16 + 32L * (s >> 1);
                int shift = 4 * (s & 1);
                FloatVector t = FloatVector.zero(F);
                for (int l = 0; l < 32; l += L) {
                    t = floats(ints(seg, qs + l).lanewise(VectorOperators.ASHR, shift).and(0xF)).fma(xv(q, xi + 32 * s + l), t);
                }
                sum = t.fma(splat(subBlock(scales, s)), sum);
            }
            acc = sum.fma(splat(dy * f16(seg, p)), acc);
            mins += dy * f16(seg, p + 2) * minsDot(packedMins(seg, p + 4), a.sums32, xi / 32);
        }
        return Lanes.sum(acc) - mins;
    }

    /**
     * Q5_K · Q8_K: Q4_K's nibbles with a fifth bit, bit s of qh[l] for value l of sub-block s.
     * Per lane and super-block: below 256/L · 31·127·63 < 2^23.
     */
    static float q5_k(MemorySegment seg, long off, Q8Activations a, int row) {
        int k = a.k;
        float[] q = a.q;
        FloatVector acc = FloatVector.zero(F);
        float mins = 0;
        for (int sb = 0; sb < k / 256; sb++) {
            long p = off + 176L * sb;
            int xi = row * k + 256 * sb;
            float dy = a.d[row * (k / 256) + sb];
            long scales = packedScales(seg, p + 4);
            FloatVector sum = FloatVector.zero(F);
            for (int s = 0; s < 8; s++) {
                long qs = p + 48 + 32L * (s >> 1);
                int shift = 4 * (s & 1);
                FloatVector t = FloatVector.zero(F);
                for (int l = 0; l < 32; l += L) {
                    IntVector lo = ints(seg, qs + l).lanewise(VectorOperators.ASHR, shift).and(0xF);
                    IntVector hi = ints(seg, p + 16 + l).lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, s).and(0x10);
                    t = floats(lo.or(hi)).fma(xv(q, xi + 32 * s + l), t);
                }
                sum = t.fma(splat(subBlock(scales, s)), sum);
            }
            acc = sum.fma(splat(dy * f16(seg, p)), acc);
            mins += dy * f16(seg, p + 2) * minsDot(packedMins(seg, p + 4), a.sums32, xi / 32);
        }
        return Lanes.sum(acc) - mins;
    }

    /**
     * Q6_K · Q8_K. Each half of 128 values: value l, l+32, l+64, l+96 (l < 32) take their low four
     * bits from the low nibble of ql[l], of ql[l+32], the high nibble of ql[l], of ql[l+32], and
     * their top two bits from bits 0-1, 2-3, 4-5, 6-7 of qh[l]; minus 32. Scales are signed bytes,
     * one per 16 values. Per lane and super-block: 256/L products of at most 32·127·128, below 2^24
     * even with 8 lanes.
     */
    static float q6_k(MemorySegment seg, long off, Q8Activations a, int row) {
        int k = a.k;
        float[] q = a.q;
        FloatVector acc = FloatVector.zero(F);
        for (int sb = 0; sb < k / 256; sb++) {
            long p = off + 210L * sb;
            int xi = row * k + 256 * sb;
            FloatVector sum = FloatVector.zero(F);
            // one flat loop over runs of L values: half h, quarter g (value offset 32g), position l
            for (int v = 0; v < 256; v += L) {
                int h = v >> 7;
                int g = (v >> 5) & 3;
                int l = v & 31;
                IntVector lo = ints(seg, p + 64 * h + 32 * (g & 1) + l).lanewise(VectorOperators.ASHR, 4 * (g >> 1)).and(0xF);
                IntVector hi = ints(seg, p + 128 + 32 * h + l).lanewise(VectorOperators.ASHR, 2 * g).and(3).lanewise(VectorOperators.LSHL, 4);
                float sc = seg.get(ValueLayout.JAVA_BYTE, p + 192 + 8 * h + 2 * g + (l >> 4));
                sum = floats(lo.or(hi).sub(32)).mul(xv(q, xi + v)).fma(splat(sc), sum);
            }
            acc = sum.fma(splat(a.d[row * (k / 256) + sb] * f16(seg, p + 208)), acc);
        }
        return Lanes.sum(acc);
    }
}
