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
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
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
            // value e (0..31) takes its 5th bit from bit e of qh
            IntVector lowBits = IntVector.broadcast(I, qh << 4);
            IntVector highBits = IntVector.broadcast(I, qh >>> 12);
            FloatVector t = FloatVector.zero(F);
            for (int i = 0; i < 2; i++) {
                IntVector q = bytes(seg, p + 6 + 8 * i);
                IntVector lanes = i == 0 ? LANE : LANE_PLUS_8;
                t = floats(q.and(0xF).or(lowBits.lanewise(VectorOperators.LSHR, lanes).and(0x10))).fma(xv(x, xi + 8 * i), t);
                t = floats(q.lanewise(VectorOperators.ASHR, 4).and(0xF).or(highBits.lanewise(VectorOperators.LSHR, lanes).and(0x10)))
                        .fma(xv(x, xi + 16 + 8 * i), t);
            }
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
            // value e (0..31) takes its 5th bit from bit e of qh
            IntVector lowBits = IntVector.broadcast(I, qh << 4);
            IntVector highBits = IntVector.broadcast(I, qh >>> 12);
            FloatVector t = FloatVector.zero(F);
            for (int i = 0; i < 2; i++) {
                IntVector q = bytes(seg, p + 8 + 8 * i);
                IntVector lanes = i == 0 ? LANE : LANE_PLUS_8;
                t = floats(q.and(0xF).or(lowBits.lanewise(VectorOperators.LSHR, lanes).and(0x10))).fma(xv(x, xi + 8 * i), t);
                t = floats(q.lanewise(VectorOperators.ASHR, 4).and(0xF).or(highBits.lanewise(VectorOperators.LSHR, lanes).and(0x10)))
                        .fma(xv(x, xi + 16 + 8 * i), t);
            }
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

    static float q4_k(MemorySegment seg, long off, float[] x, int xOff, float[] xs16, int k, float[] ds, float[] dm) {
        kScales(seg, off, 144, k, ds, dm);
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        int subs = k / 32;
        // one flat loop over 32-value sub-blocks keeps the body small enough for C2 to inline every
        // vector operation; sub-block s reads the low (even s) or high (odd s) nibbles of 32 bytes
        for (int s = 0; s < subs; s++) {
            long q = off + 144L * (s >> 3) + 16 + 32L * ((s & 7) >> 1);
            int shift = (s & 1) << 2;
            int xi = xOff + 32 * s;
            FloatVector t = floats(bytes(seg, q).lanewise(VectorOperators.ASHR, shift).and(0xF)).mul(xv(x, xi));
            t = floats(bytes(seg, q + 8).lanewise(VectorOperators.ASHR, shift).and(0xF)).fma(xv(x, xi + 8), t);
            t = floats(bytes(seg, q + 16).lanewise(VectorOperators.ASHR, shift).and(0xF)).fma(xv(x, xi + 16), t);
            t = floats(bytes(seg, q + 24).lanewise(VectorOperators.ASHR, shift).and(0xF)).fma(xv(x, xi + 24), t);
            acc = t.fma(FloatVector.broadcast(F, ds[s]), acc);
            corr += dm[s] * (xs16[2 * s] + xs16[2 * s + 1]);
        }
        return acc.reduceLanes(VectorOperators.ADD) - corr;
    }

    /**
     * Scale (d·sc) and minimum (dmin·m) of every 32-value sub-block of a Q4_K/Q5_K row, into
     * {@code ds} and {@code dm} (k/32 entries each).
     */
    static void kScales(MemorySegment seg, long off, int blockBytes, int k, float[] ds, float[] dm) {
        for (int sb = 0; sb < k / 256; sb++) {
            long p = off + (long) blockBytes * sb;
            float d = f16(seg, p);
            float dmin = f16(seg, p + 2);
            long a = seg.get(LONG, p + 4);
            int b = seg.get(INT, p + 12);
            for (int j = 0; j < 4; j++) {
                int q = (int) (a >>> (8 * j)) & 0xFF;
                int m = (int) (a >>> (8 * j + 32)) & 0xFF;
                int c = (b >>> (8 * j)) & 0xFF;
                ds[8 * sb + j] = d * (q & 63);
                dm[8 * sb + j] = dmin * (m & 63);
                ds[8 * sb + 4 + j] = d * ((c & 0xF) | (q >> 6) << 4);
                dm[8 * sb + 4 + j] = dmin * ((c >> 4) | (m >> 6) << 4);
            }
        }
    }

    static float q5_k(MemorySegment seg, long off, float[] x, int xOff, float[] xs16, int k, float[] ds, float[] dm) {
        kScales(seg, off, 176, k, ds, dm);
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        int subs = k / 32;
        // as Q4_K; the 5th bit of value l of sub-block s is bit (s mod 8) of qh[l]
        for (int s = 0; s < subs; s++) {
            long p = off + 176L * (s >> 3);
            long q = p + 48 + 32L * ((s & 7) >> 1);
            int shift = (s & 1) << 2;
            int hs = s & 7;
            int xi = xOff + 32 * s;
            FloatVector t = FloatVector.zero(F);
            for (int i = 0; i < 32; i += 8) {
                IntVector lo = bytes(seg, q + i).lanewise(VectorOperators.ASHR, shift).and(0xF);
                IntVector hi = bytes(seg, p + 16 + i).lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, hs).and(0x10);
                t = floats(lo.or(hi)).fma(xv(x, xi + i), t);
            }
            acc = t.fma(FloatVector.broadcast(F, ds[s]), acc);
            corr += dm[s] * (xs16[2 * s] + xs16[2 * s + 1]);
        }
        return acc.reduceLanes(VectorOperators.ADD) - corr;
    }

    /**
     * The eight 6-bit scales (into {@code sm[0..8)}) and minimums ({@code sm[8..16)}) of a
     * Q4_K/Q5_K super-block, from its 12 packed bytes: sub-blocks 0-3 keep theirs in the low six
     * bits of bytes 0-3 and 4-7; sub-blocks 4-7 take four bits from bytes 8-11 and their top two
     * from the spare high bits of bytes 0-7.
     */
    static void kScalesMins(MemorySegment seg, long s, int[] sm) {
        long a = seg.get(LONG, s);
        int b = seg.get(INT, s + 8);
        for (int j = 0; j < 4; j++) {
            int q = (int) (a >>> (8 * j)) & 0xFF;
            int m = (int) (a >>> (8 * j + 32)) & 0xFF;
            int c = (b >>> (8 * j)) & 0xFF;
            sm[j] = q & 63;
            sm[8 + j] = m & 63;
            sm[4 + j] = (c & 0xF) | (q >> 6) << 4;
            sm[12 + j] = (c >> 4) | (m >> 6) << 4;
        }
    }

    static float q6_k(MemorySegment seg, long off, float[] x, int xOff, float[] xs16, int k, float[] ds, float[] dm) {
        for (int u = 0; u < k / 16; u++) {
            long p = off + 210L * (u >> 4);
            int h = (u >> 3) & 1;
            int r = (u >> 1) & 3;
            ds[u] = f16(seg, p + 208) * seg.get(ValueLayout.JAVA_BYTE, p + 192 + 8 * h + (u & 1) + 2 * r);
        }
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        // sub-block u of 16 values: half h, quarter r, sixteen s. Low 4 bits: low nibbles of ql
        // bytes 0..31 (r=0) or 32..63 (r=1), high nibbles for r=2,3; high 2 bits: qh bits 2r, 2r+1
        for (int u = 0; u < k / 16; u++) {
            long p = off + 210L * (u >> 4);
            int h = (u >> 3) & 1;
            int r = (u >> 1) & 3;
            int s = u & 1;
            long ql = p + 64L * h + 32L * (r & 1) + 16L * s;
            long qh = p + 128 + 32L * h + 16L * s;
            int nibShift = 4 * (r >> 1);
            int hShift = 2 * r;
            int xi = xOff + 16 * u;
            IntVector lo0 = bytes(seg, ql).lanewise(VectorOperators.ASHR, nibShift).and(0xF);
            IntVector hi0 = bytes(seg, qh).lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, hShift).and(0x30);
            IntVector lo1 = bytes(seg, ql + 8).lanewise(VectorOperators.ASHR, nibShift).and(0xF);
            IntVector hi1 = bytes(seg, qh + 8).lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, hShift).and(0x30);
            FloatVector t = floats(lo0.or(hi0)).mul(xv(x, xi));
            t = floats(lo1.or(hi1)).fma(xv(x, xi + 8), t);
            acc = t.fma(FloatVector.broadcast(F, ds[u]), acc);
            corr += ds[u] * xs16[u];
        }
        return acc.reduceLanes(VectorOperators.ADD) - 32 * corr;
    }
}
