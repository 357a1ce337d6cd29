package dev.plinth.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of one weight row, stored in a {@link MemorySegment} in its GGUF layout, with an
 * F32 activation vector. One method per dtype keeps every hot loop monomorphic.
 *
 * <p>Quantized rows are decoded eight values at a time straight into registers (bytes widened to
 * ints, nibbles masked, converted to floats) and never written out. Offsets that GGUF adds to
 * every quantized value (-8, -16, -32, or a per-block minimum) are taken out of the loop: they
 * contribute {@code offset * scale * sum(x over the block)}, and the block sums of x are computed
 * once per activation vector ({@link #blockSums16}).
 */
final class QuantDot {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    static final VectorSpecies<Short> H = ShortVector.SPECIES_128;
    static final VectorSpecies<Float> FP = FloatVector.SPECIES_PREFERRED;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private static final IntVector LANE = IntVector.fromArray(I, new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 0);
    private static final IntVector LANE_PLUS_8 = LANE.add(8);

    private QuantDot() {
    }

    /** Sums of x over consecutive groups of 16 (k must be a multiple of 16 when used). */
    static float[] blockSums16(float[] x, int off, int k) {
        float[] s = new float[k / 16];
        for (int g = 0; g < s.length; g++) {
            FloatVector v = FloatVector.fromArray(F, x, off + 16 * g).add(FloatVector.fromArray(F, x, off + 16 * g + 8));
            s[g] = v.reduceLanes(VectorOperators.ADD);
        }
        return s;
    }

    static float f16(MemorySegment seg, long off) {
        return Float.float16ToFloat(seg.get(SHORT, off));
    }

    private static IntVector bytes(MemorySegment seg, long off) {
        return (IntVector) ByteVector.fromMemorySegment(B, seg, off, LE).convertShape(VectorOperators.B2I, I, 0);
    }

    private static FloatVector floats(IntVector v) {
        return (FloatVector) v.convertShape(VectorOperators.I2F, F, 0);
    }

    private static FloatVector xv(float[] x, int i) {
        return FloatVector.fromArray(F, x, i);
    }

    static float f32(MemorySegment seg, long off, float[] x, int xOff, int k) {
        FloatVector a0 = FloatVector.zero(FP);
        FloatVector a1 = FloatVector.zero(FP);
        FloatVector a2 = FloatVector.zero(FP);
        FloatVector a3 = FloatVector.zero(FP);
        int step = FP.length();
        int i = 0;
        for (; i + 4 * step <= k; i += 4 * step) {
            long p = off + 4L * i;
            a0 = FloatVector.fromMemorySegment(FP, seg, p, LE).fma(FloatVector.fromArray(FP, x, xOff + i), a0);
            a1 = FloatVector.fromMemorySegment(FP, seg, p + 4L * step, LE).fma(FloatVector.fromArray(FP, x, xOff + i + step), a1);
            a2 = FloatVector.fromMemorySegment(FP, seg, p + 8L * step, LE).fma(FloatVector.fromArray(FP, x, xOff + i + 2 * step), a2);
            a3 = FloatVector.fromMemorySegment(FP, seg, p + 12L * step, LE).fma(FloatVector.fromArray(FP, x, xOff + i + 3 * step), a3);
        }
        for (; i + step <= k; i += step) {
            a0 = FloatVector.fromMemorySegment(FP, seg, off + 4L * i, LE).fma(FloatVector.fromArray(FP, x, xOff + i), a0);
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            s += seg.get(FLOAT, off + 4L * i) * x[xOff + i];
        }
        return s;
    }

    /**
     * F16 to F32 in registers: the half's exponent and mantissa shifted into float position and
     * multiplied by 2^112 rebias normals and subnormals alike; infinities and NaNs get the float's
     * all-ones exponent.
     */
    static FloatVector halfs(MemorySegment seg, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, seg, off, LE).convertShape(VectorOperators.S2I, I, 0);
        IntVector em = h.and(0x7FFF);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        FloatVector mag = em.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        var special = em.compare(VectorOperators.GE, 0x7C00);
        IntVector bits = mag.reinterpretAsInts();
        bits = bits.blend(em.lanewise(VectorOperators.LSHL, 13).or(0x7F800000), special);
        return bits.or(sign).reinterpretAsFloats();
    }

    static float f16(MemorySegment seg, long off, float[] x, int xOff, int k) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 16 <= k; i += 16) {
            a0 = halfs(seg, off + 2L * i).fma(xv(x, xOff + i), a0);
            a1 = halfs(seg, off + 2L * i + 16).fma(xv(x, xOff + i + 8), a1);
        }
        for (; i + 8 <= k; i += 8) {
            a0 = halfs(seg, off + 2L * i).fma(xv(x, xOff + i), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            s += f16(seg, off + 2L * i) * x[xOff + i];
        }
        return s;
    }

    static FloatVector bf16s(MemorySegment seg, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, seg, off, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static float bf16(MemorySegment seg, long off, float[] x, int xOff, int k) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 16 <= k; i += 16) {
            a0 = bf16s(seg, off + 2L * i).fma(xv(x, xOff + i), a0);
            a1 = bf16s(seg, off + 2L * i + 16).fma(xv(x, xOff + i + 8), a1);
        }
        for (; i + 8 <= k; i += 8) {
            a0 = bf16s(seg, off + 2L * i).fma(xv(x, xOff + i), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            s += Float.intBitsToFloat((seg.get(SHORT, off + 2L * i) & 0xFFFF) << 16) * x[xOff + i];
        }
        return s;
    }

    static float q8_0(MemorySegment seg, long off, float[] x, int xOff, int k) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = k / 32;
        for (int b = 0; b < blocks; b++) {
            long p = off + 34L * b;
            int xi = xOff + 32 * b;
            FloatVector t = floats(bytes(seg, p + 2)).mul(xv(x, xi));
            t = floats(bytes(seg, p + 10)).fma(xv(x, xi + 8), t);
            t = floats(bytes(seg, p + 18)).fma(xv(x, xi + 16), t);
            t = floats(bytes(seg, p + 26)).fma(xv(x, xi + 24), t);
            acc = t.fma(FloatVector.broadcast(F, f16(seg, p)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float q4_0(MemorySegment seg, long off, float[] x, int xOff, float[] xs16, int k) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        int blocks = k / 32;
        for (int b = 0; b < blocks; b++) {
            long p = off + 18L * b;
            int xi = xOff + 32 * b;
            float d = f16(seg, p);
            IntVector q0 = bytes(seg, p + 2);
            IntVector q1 = bytes(seg, p + 10);
            FloatVector t = floats(q0.and(0xF)).mul(xv(x, xi));
            t = floats(q1.and(0xF)).fma(xv(x, xi + 8), t);
            t = floats(q0.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(xv(x, xi + 16), t);
            t = floats(q1.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(xv(x, xi + 24), t);
            acc = t.fma(FloatVector.broadcast(F, d), acc);
            corr += d * (xs16[2 * b] + xs16[2 * b + 1]);
        }
        return acc.reduceLanes(VectorOperators.ADD) - 8 * corr;
    }

    static float q4_1(MemorySegment seg, long off, float[] x, int xOff, float[] xs16, int k) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        int blocks = k / 32;
        for (int b = 0; b < blocks; b++) {
            long p = off + 20L * b;
            int xi = xOff + 32 * b;
            IntVector q0 = bytes(seg, p + 4);
            IntVector q1 = bytes(seg, p + 12);
            FloatVector t = floats(q0.and(0xF)).mul(xv(x, xi));
            t = floats(q1.and(0xF)).fma(xv(x, xi + 8), t);
            t = floats(q0.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(xv(x, xi + 16), t);
            t = floats(q1.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(xv(x, xi + 24), t);
            acc = t.fma(FloatVector.broadcast(F, f16(seg, p)), acc);
            corr += f16(seg, p + 2) * (xs16[2 * b] + xs16[2 * b + 1]);
        }
        return acc.reduceLanes(VectorOperators.ADD) + corr;
    }

    static float q5_0(MemorySegment seg, long off, float[] x, int xOff, float[] xs16, int k) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        int blocks = k / 32;
        for (int b = 0; b < blocks; b++) {
            long p = off + 22L * b;
            int xi = xOff + 32 * b;
            float d = f16(seg, p);
            int qh = seg.get(INT, p + 2);
            IntVector lowBits = IntVector.broadcast(I, qh << 4);
            IntVector highBits = IntVector.broadcast(I, qh >>> 12);
            IntVector q0 = bytes(seg, p + 6);
            IntVector q1 = bytes(seg, p + 14);
            FloatVector t = floats(q0.and(0xF).or(lowBits.lanewise(VectorOperators.LSHR, LANE).and(0x10))).mul(xv(x, xi));
            t = floats(q1.and(0xF).or(lowBits.lanewise(VectorOperators.LSHR, LANE_PLUS_8).and(0x10))).fma(xv(x, xi + 8), t);
            t = floats(q0.lanewise(VectorOperators.ASHR, 4).and(0xF).or(highBits.lanewise(VectorOperators.LSHR, LANE).and(0x10)))
                    .fma(xv(x, xi + 16), t);
            t = floats(q1.lanewise(VectorOperators.ASHR, 4).and(0xF).or(highBits.lanewise(VectorOperators.LSHR, LANE_PLUS_8).and(0x10)))
                    .fma(xv(x, xi + 24), t);
            acc = t.fma(FloatVector.broadcast(F, d), acc);
            corr += d * (xs16[2 * b] + xs16[2 * b + 1]);
        }
        return acc.reduceLanes(VectorOperators.ADD) - 16 * corr;
    }

    static float q5_1(MemorySegment seg, long off, float[] x, int xOff, float[] xs16, int k) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        int blocks = k / 32;
        for (int b = 0; b < blocks; b++) {
            long p = off + 24L * b;
            int xi = xOff + 32 * b;
            int qh = seg.get(INT, p + 4);
            IntVector lowBits = IntVector.broadcast(I, qh << 4);
            IntVector highBits = IntVector.broadcast(I, qh >>> 12);
            IntVector q0 = bytes(seg, p + 8);
            IntVector q1 = bytes(seg, p + 16);
            FloatVector t = floats(q0.and(0xF).or(lowBits.lanewise(VectorOperators.LSHR, LANE).and(0x10))).mul(xv(x, xi));
            t = floats(q1.and(0xF).or(lowBits.lanewise(VectorOperators.LSHR, LANE_PLUS_8).and(0x10))).fma(xv(x, xi + 8), t);
            t = floats(q0.lanewise(VectorOperators.ASHR, 4).and(0xF).or(highBits.lanewise(VectorOperators.LSHR, LANE).and(0x10)))
                    .fma(xv(x, xi + 16), t);
            t = floats(q1.lanewise(VectorOperators.ASHR, 4).and(0xF).or(highBits.lanewise(VectorOperators.LSHR, LANE_PLUS_8).and(0x10)))
                    .fma(xv(x, xi + 24), t);
            acc = t.fma(FloatVector.broadcast(F, f16(seg, p)), acc);
            corr += f16(seg, p + 2) * (xs16[2 * b] + xs16[2 * b + 1]);
        }
        return acc.reduceLanes(VectorOperators.ADD) + corr;
    }

    /** The 6-bit scale of sub-block j of a Q4_K/Q5_K super-block (scales at byte offset s). */
    static int kScale(MemorySegment seg, long s, int j) {
        if (j < 4) {
            return seg.get(ValueLayout.JAVA_BYTE, s + j) & 63;
        }
        return (seg.get(ValueLayout.JAVA_BYTE, s + j + 4) & 0xF) | ((seg.get(ValueLayout.JAVA_BYTE, s + j - 4) & 0xFF) >> 6 << 4);
    }

    /** The 6-bit minimum of sub-block j of a Q4_K/Q5_K super-block. */
    static int kMin(MemorySegment seg, long s, int j) {
        if (j < 4) {
            return seg.get(ValueLayout.JAVA_BYTE, s + j + 4) & 63;
        }
        return ((seg.get(ValueLayout.JAVA_BYTE, s + j + 4) & 0xFF) >> 4) | ((seg.get(ValueLayout.JAVA_BYTE, s + j) & 0xFF) >> 6 << 4);
    }

    static float q4_k(MemorySegment seg, long off, float[] x, int xOff, float[] xs16, int k) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        int supers = k / 256;
        for (int sb = 0; sb < supers; sb++) {
            long p = off + 144L * sb;
            float d = f16(seg, p);
            float dmin = f16(seg, p + 2);
            long sc = p + 4;
            for (int j = 0; j < 4; j++) {
                long q = p + 16 + 32L * j;
                int xi = xOff + 256 * sb + 64 * j;
                IntVector q0 = bytes(seg, q);
                IntVector q1 = bytes(seg, q + 8);
                IntVector q2 = bytes(seg, q + 16);
                IntVector q3 = bytes(seg, q + 24);
                FloatVector lo = floats(q0.and(0xF)).mul(xv(x, xi));
                lo = floats(q1.and(0xF)).fma(xv(x, xi + 8), lo);
                lo = floats(q2.and(0xF)).fma(xv(x, xi + 16), lo);
                lo = floats(q3.and(0xF)).fma(xv(x, xi + 24), lo);
                FloatVector hi = floats(q0.lanewise(VectorOperators.ASHR, 4).and(0xF)).mul(xv(x, xi + 32));
                hi = floats(q1.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(xv(x, xi + 40), hi);
                hi = floats(q2.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(xv(x, xi + 48), hi);
                hi = floats(q3.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(xv(x, xi + 56), hi);
                acc = lo.fma(FloatVector.broadcast(F, d * kScale(seg, sc, 2 * j)), acc);
                acc = hi.fma(FloatVector.broadcast(F, d * kScale(seg, sc, 2 * j + 1)), acc);
                int g = 16 * sb + 4 * j;
                corr += dmin * (kMin(seg, sc, 2 * j) * (xs16[g] + xs16[g + 1]) + kMin(seg, sc, 2 * j + 1) * (xs16[g + 2] + xs16[g + 3]));
            }
        }
        return acc.reduceLanes(VectorOperators.ADD) - corr;
    }

    static float q5_k(MemorySegment seg, long off, float[] x, int xOff, float[] xs16, int k) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        int supers = k / 256;
        for (int sb = 0; sb < supers; sb++) {
            long p = off + 176L * sb;
            float d = f16(seg, p);
            float dmin = f16(seg, p + 2);
            long sc = p + 4;
            // qh bit 2j (2j+1) of byte l is the 5th bit of element 64j + l (64j + 32 + l); shifted
            // left by 4 so that bit 2j lands on bit 4, then right by 2 after each chunk.
            IntVector h0 = bytes(seg, p + 16).lanewise(VectorOperators.LSHL, 4);
            IntVector h1 = bytes(seg, p + 24).lanewise(VectorOperators.LSHL, 4);
            IntVector h2 = bytes(seg, p + 32).lanewise(VectorOperators.LSHL, 4);
            IntVector h3 = bytes(seg, p + 40).lanewise(VectorOperators.LSHL, 4);
            for (int j = 0; j < 4; j++) {
                long q = p + 48 + 32L * j;
                int xi = xOff + 256 * sb + 64 * j;
                IntVector q0 = bytes(seg, q);
                IntVector q1 = bytes(seg, q + 8);
                IntVector q2 = bytes(seg, q + 16);
                IntVector q3 = bytes(seg, q + 24);
                FloatVector lo = floats(q0.and(0xF).or(h0.and(0x10))).mul(xv(x, xi));
                lo = floats(q1.and(0xF).or(h1.and(0x10))).fma(xv(x, xi + 8), lo);
                lo = floats(q2.and(0xF).or(h2.and(0x10))).fma(xv(x, xi + 16), lo);
                lo = floats(q3.and(0xF).or(h3.and(0x10))).fma(xv(x, xi + 24), lo);
                h0 = h0.lanewise(VectorOperators.ASHR, 1);
                h1 = h1.lanewise(VectorOperators.ASHR, 1);
                h2 = h2.lanewise(VectorOperators.ASHR, 1);
                h3 = h3.lanewise(VectorOperators.ASHR, 1);
                FloatVector hi = floats(q0.lanewise(VectorOperators.ASHR, 4).and(0xF).or(h0.and(0x10))).mul(xv(x, xi + 32));
                hi = floats(q1.lanewise(VectorOperators.ASHR, 4).and(0xF).or(h1.and(0x10))).fma(xv(x, xi + 40), hi);
                hi = floats(q2.lanewise(VectorOperators.ASHR, 4).and(0xF).or(h2.and(0x10))).fma(xv(x, xi + 48), hi);
                hi = floats(q3.lanewise(VectorOperators.ASHR, 4).and(0xF).or(h3.and(0x10))).fma(xv(x, xi + 56), hi);
                h0 = h0.lanewise(VectorOperators.ASHR, 1);
                h1 = h1.lanewise(VectorOperators.ASHR, 1);
                h2 = h2.lanewise(VectorOperators.ASHR, 1);
                h3 = h3.lanewise(VectorOperators.ASHR, 1);
                acc = lo.fma(FloatVector.broadcast(F, d * kScale(seg, sc, 2 * j)), acc);
                acc = hi.fma(FloatVector.broadcast(F, d * kScale(seg, sc, 2 * j + 1)), acc);
                int g = 16 * sb + 4 * j;
                corr += dmin * (kMin(seg, sc, 2 * j) * (xs16[g] + xs16[g + 1]) + kMin(seg, sc, 2 * j + 1) * (xs16[g + 2] + xs16[g + 3]));
            }
        }
        return acc.reduceLanes(VectorOperators.ADD) - corr;
    }

    static float q6_k(MemorySegment seg, long off, float[] x, int xOff, float[] xs16, int k) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        int supers = k / 256;
        for (int sb = 0; sb < supers; sb++) {
            long p = off + 210L * sb;
            float d = f16(seg, p + 208);
            for (int h = 0; h < 2; h++) {
                long ql = p + 64L * h;
                long qh = p + 128 + 32L * h;
                long sc = p + 192 + 8L * h;
                int xb = xOff + 256 * sb + 128 * h;
                for (int s = 0; s < 2; s++) {
                    // lanes l = 16s .. 16s+15 in two groups of eight; scales sc[s], sc[s+2], sc[s+4], sc[s+6]
                    FloatVector t1 = FloatVector.zero(F);
                    FloatVector t2 = FloatVector.zero(F);
                    FloatVector t3 = FloatVector.zero(F);
                    FloatVector t4 = FloatVector.zero(F);
                    for (int g = 0; g < 2; g++) {
                        int l = 16 * s + 8 * g;
                        IntVector a = bytes(seg, ql + l);
                        IntVector c = bytes(seg, ql + l + 32);
                        IntVector hb = bytes(seg, qh + l).lanewise(VectorOperators.LSHL, 4);
                        t1 = floats(a.and(0xF).or(hb.and(0x30))).fma(xv(x, xb + l), t1);
                        t2 = floats(c.and(0xF).or(hb.lanewise(VectorOperators.ASHR, 2).and(0x30))).fma(xv(x, xb + l + 32), t2);
                        t3 = floats(a.lanewise(VectorOperators.ASHR, 4).and(0xF).or(hb.lanewise(VectorOperators.ASHR, 4).and(0x30)))
                                .fma(xv(x, xb + l + 64), t3);
                        t4 = floats(c.lanewise(VectorOperators.ASHR, 4).and(0xF).or(hb.lanewise(VectorOperators.ASHR, 6).and(0x30)))
                                .fma(xv(x, xb + l + 96), t4);
                    }
                    float d1 = d * seg.get(ValueLayout.JAVA_BYTE, sc + s);
                    float d2 = d * seg.get(ValueLayout.JAVA_BYTE, sc + s + 2);
                    float d3 = d * seg.get(ValueLayout.JAVA_BYTE, sc + s + 4);
                    float d4 = d * seg.get(ValueLayout.JAVA_BYTE, sc + s + 6);
                    acc = t1.fma(FloatVector.broadcast(F, d1), acc);
                    acc = t2.fma(FloatVector.broadcast(F, d2), acc);
                    acc = t3.fma(FloatVector.broadcast(F, d3), acc);
                    acc = t4.fma(FloatVector.broadcast(F, d4), acc);
                    int g16 = (256 * sb + 128 * h) / 16 + s;
                    corr += d1 * xs16[g16] + d2 * xs16[g16 + 2] + d3 * xs16[g16 + 4] + d4 * xs16[g16 + 6];
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD) - 32 * corr;
    }
}
