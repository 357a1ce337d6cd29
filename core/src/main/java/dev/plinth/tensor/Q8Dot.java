package dev.plinth.tensor;

import static dev.plinth.tensor.HalfFloat.f16;
import static dev.plinth.tensor.KQuants.packedMins;
import static dev.plinth.tensor.KQuants.packedScales;
import static dev.plinth.tensor.KQuants.subBlock;
import static dev.plinth.tensor.LittleEndian.INT;
import static dev.plinth.tensor.LittleEndian.ORDER;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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

    /** L unsigned bytes widened to ints. */
    private static IntVector uints(MemorySegment seg, long off) {
        return (IntVector) ByteVector.fromMemorySegment(B, seg, off, ORDER).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
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

    /**
     * Q8_0 · Q8_0. Per lane and block: at most 4 products of 127·127 (under 2^17). Consecutive blocks
     * go to two accumulators in turn (swapped after each block), so that one block's scaled sum
     * need not wait for the previous one's.
     */
    static float q8_0(MemorySegment seg, long off, Q8Activations a, int row) {
        int k = a.k;
        float[] q = a.q;
        float[] scale = blockScales(seg, off, 34, a, row);
        FloatVector acc = FloatVector.zero(F);
        FloatVector other = acc;
        for (int b = 0; b < k / 32; b++) {
            long p = off + 34L * b;
            int xi = row * k + 32 * b;
            FloatVector t = floats(ints(seg, p + 2)).mul(xv(q, xi));
            for (int i = L; i < 32; i += L) {
                t = floats(ints(seg, p + 2 + i)).fma(xv(q, xi + i), t);
            }
            FloatVector next = t.fma(splat(scale[b]), acc);
            acc = other;
            other = next;
        }
        return Lanes.sum(acc.add(other));
    }

    /**
     * Q4_0 · Q8_0: value j is the low nibble of byte j, value j+16 the high nibble, both minus 8
     * (taken off each value as an integer: taken off the block's scaled sum in float instead,
     * {@code Σn·y − 8·Σy}, the two terms cancel); two accumulators in turn as in {@link #q8_0}.
     */
    static float q4_0(MemorySegment seg, long off, Q8Activations a, int row) {
        int k = a.k;
        float[] q = a.q;
        float[] scale = blockScales(seg, off, 18, a, row);
        FloatVector acc = FloatVector.zero(F);
        FloatVector other = acc;
        for (int b = 0; b < k / 32; b++) {
            long p = off + 18L * b;
            int xi = row * k + 32 * b;
            IntVector v = uints(seg, p + 2);
            FloatVector t = minus8(v.and(0xF)).mul(xv(q, xi));
            t = minus8(v.lanewise(VectorOperators.LSHR, 4)).fma(xv(q, xi + 16), t);
            for (int i = L; i < 16; i += L) {
                v = uints(seg, p + 2 + i);
                t = minus8(v.and(0xF)).fma(xv(q, xi + i), t);
                t = minus8(v.lanewise(VectorOperators.LSHR, 4)).fma(xv(q, xi + 16 + i), t);
            }
            FloatVector next = t.fma(splat(scale[b]), acc);
            acc = other;
            other = next;
        }
        return Lanes.sum(acc.add(other));
    }

    /** The floats −8, −7, ..., 7 as int bits (the first L of them where L is 8), for {@link #minus8}'s lookup. */
    private static final IntVector MINUS_8_TO_7 = IntVector.fromArray(I, minus8Bits(), 0);

    private static int[] minus8Bits() {
        int[] bits = new int[16];
        for (int n = 0; n < 16; n++) {
            bits[n] = Float.floatToRawIntBits(n - 8);
        }
        return bits;
    }

    /**
     * Nibbles n (0–15) as the floats n − 8. With 16 lanes that is one lookup (a permute) in place
     * of a subtraction and a conversion; 8 lanes cannot hold the 16-entry table.
     */
    private static FloatVector minus8(IntVector nibbles) {
        return L == 16 ? nibbles.selectFrom(MINUS_8_TO_7).reinterpretAsFloats() : floats(nibbles.sub(8));
    }

    /**
     * Each 32-block's weight scale (the F16 at the start of each {@code blockBytes}-byte block) times
     * the activation block's scale, into per-thread room. Formed in a pass of its own (with the F16
     * read by table lookup), so that the product loop takes each scale by one broadcast load
     * instead of a conversion, a multiplication and a broadcast between its vector instructions.
     */
    private static float[] blockScales(MemorySegment seg, long off, int blockBytes, Q8Activations a, int row) {
        int blocks = a.k / 32;
        float[] scale = SCALES.get(blocks);
        float[] d = a.d;
        int dOff = row * blocks;
        for (int b = 0; b < blocks; b++) {
            scale[b] = HalfFloat.f16Lookup(seg, off + (long) blockBytes * b) * d[dOff + b];
        }
        return scale;
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

    /** Q5_0 · Q8_0: Q4_0's nibbles plus a fifth bit from qh, minus 16 (as an integer, as in {@link #q4_0}). */
    static float q5_0(MemorySegment seg, long off, Q8Activations a, int row) {
        int k = a.k;
        float[] q = a.q;
        int dOff = row * (k / 32);
        FloatVector acc = FloatVector.zero(F);
        FloatVector other = acc;
        for (int b = 0; b < k / 32; b++) {
            long p = off + 22L * b;
            int xi = row * k + 32 * b;
            int qh = seg.get(INT, p + 2);
            FloatVector t = FloatVector.zero(F);
            for (int i = 0; i < 16; i += L) {
                IntVector v = uints(seg, p + 6 + i);
                t = floats(v.and(0xF).or(highBits(qh, i)).sub(16)).fma(xv(q, xi + i), t);
                t = floats(v.lanewise(VectorOperators.LSHR, 4).or(highBits(qh, 16 + i)).sub(16)).fma(xv(q, xi + 16 + i), t);
            }
            FloatVector next = t.fma(splat(f16(seg, p) * a.d[dOff + b]), acc);
            acc = other;
            other = next;
        }
        return Lanes.sum(acc.add(other));
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

    /**
     * Per-thread room for one row's sub-block scales as floats: decoding them in a pass of their
     * own keeps the product loop free of scalar work (measured 1.3× on Q4_K, 2.9× on Q6_K against
     * one fused loop).
     */
    private static final ThreadScratch SCALES = new ThreadScratch();
    /** Per-thread room for Q6_K's per-lane integer sums of each super-block, between its two loops. */
    private static final ThreadScratch SUMS = new ThreadScratch();

    /** Eight 6-bit scales or minimums packed as {@link KQuants#packedScales} as eight int lanes (256 bits). */
    private static IntVector eightBytes(byte[] packed, int at) {
        return (IntVector) ByteVector.fromArray(ByteVector.SPECIES_64, packed, at).convertShape(VectorOperators.B2I, IntVector.SPECIES_256, 0);
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final ThreadLocal<byte[]> PACKED = ThreadLocal.withInitial(() -> new byte[16]);

    /**
     * Q4_K · Q8_K: {@code Σ_sb d·dy·Σ_s scale_s·Σ(q·y) − dmin·dy·Σ_s min_s·Σy}, the sums of y per
     * sub-block being the activations' 32-value sums. Both inner sums are exact integers per lane
     * and super-block (each lane below 256/L·15·127·63 < 2^23; the minimums' below
     * 8·63·32·127 < 2^24), scaled in float once per super-block as ggml does. Every lane sums the
     * same values, whatever the loop order, so the result is the same bits in every JIT state.
     */
    static float q4_k(MemorySegment seg, long off, Q8Activations a, int row) {
        float[] sc = SCALES.get(a.k / 32);
        float mins = q4kScales(seg, off, a, row, sc);
        return q4kDot(seg, off, a, row, sc) - mins;
    }

    /**
     * The 6-bit scale of each Q4_K sub-block into {@code sc}; returns Σ dmin·dy·Σ_s min_s·Σy. The
     * minimums' sum stays an integer until it is scaled: summed as eight scaled float lanes, its
     * rounding depended on the order of {@code reduceLanes}, which C2 and the interpreter choose
     * differently, and the subtraction from the product term of about its size magnified that.
     */
    private static float q4kScales(MemorySegment seg, long off, Q8Activations a, int row, float[] sc) {
        int blocks = a.k / 256;
        byte[] packed = PACKED.get();
        float mins = 0;
        for (int sb = 0; sb < blocks; sb++) {
            long p = off + 144L * sb;
            LONGS.set(packed, 0, packedScales(seg, p + 4));
            LONGS.set(packed, 8, packedMins(seg, p + 4));
            ((FloatVector) eightBytes(packed, 0).convert(VectorOperators.I2F, 0)).intoArray(sc, 8 * sb);
            IntVector m = eightBytes(packed, 8).mul(IntVector.fromArray(IntVector.SPECIES_256, a.sums32, (row * blocks + sb) * 8));
            mins += a.d[row * blocks + sb] * f16(seg, p + 2) * m.reduceLanes(VectorOperators.ADD);
        }
        return mins;
    }

    /**
     * Σ over super-blocks of d·dy·Σ scale·Σ(q·y), over 64-value chunks (32 bytes: low nibbles one
     * sub-block, high nibbles the next).
     */
    private static float q4kDot(MemorySegment seg, long off, Q8Activations a, int row, float[] sc) {
        float[] q = a.q;
        int blocks = a.k / 256;
        FloatVector acc = FloatVector.zero(F);
        for (int sb = 0; sb < blocks; sb++) {
            long p = off + 144L * sb;
            FloatVector low = FloatVector.zero(F);
            FloatVector high = FloatVector.zero(F);
            for (int c = 4 * sb; c < 4 * sb + 4; c++) {
                long qs = p + 16 + 32L * (c & 3);
                int x0 = row * a.k + 64 * c;
                IntVector v = uints(seg, qs);
                FloatVector lo = floats(v.and(0xF)).mul(xv(q, x0));
                FloatVector hi = floats(v.lanewise(VectorOperators.LSHR, 4)).mul(xv(q, x0 + 32));
                for (int l = L; l < 32; l += L) {
                    v = uints(seg, qs + l);
                    lo = floats(v.and(0xF)).fma(xv(q, x0 + l), lo);
                    hi = floats(v.lanewise(VectorOperators.LSHR, 4)).fma(xv(q, x0 + 32 + l), hi);
                }
                low = lo.fma(splat(sc[2 * c]), low);
                high = hi.fma(splat(sc[2 * c + 1]), high);
            }
            acc = low.add(high).fma(splat(a.d[row * blocks + sb] * f16(seg, p)), acc);
        }
        return Lanes.sum(acc);
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
     * one per 16 values. The −32 is taken off each value as an integer (taken off the scaled sums
     * in float instead, Σq·y − 32·Σy, the two large terms cancel). Per lane and super-block the sum
     * of scale·(q−32)·y is an exact integer (256/L products of at most 32·127·128, below 2^24 even
     * with 8 lanes), scaled in float once per super-block.
     */
    static float q6_k(MemorySegment seg, long off, Q8Activations a, int row) {
        int blocks = a.k / 256;
        float[] sc = SCALES.get(a.k / 16);
        float[] sums = SUMS.get(blocks * L);
        q6kScales(seg, off, blocks, sc);
        q6kPart(seg, off, a.q, row * a.k, blocks, sc, sums, 0);
        q6kPart(seg, off, a.q, row * a.k, blocks, sc, sums, 1);
        FloatVector acc = FloatVector.zero(F);
        for (int sb = 0; sb < blocks; sb++) {
            float d = a.d[row * blocks + sb] * f16(seg, off + 210L * sb + 208);
            acc = FloatVector.fromArray(F, sums, sb * L).fma(splat(d), acc);
        }
        return Lanes.sum(acc);
    }

    /** The 16 signed scales of each super-block into {@code sc}, as floats. */
    private static void q6kScales(MemorySegment seg, long off, int blocks, float[] sc) {
        for (int sb = 0; sb < blocks; sb++) {
            long p = off + 210L * sb;
            for (int g = 0; g < 16; g += L) {
                floats(ints(seg, p + 192 + g)).intoArray(sc, 16 * sb + g);
            }
        }
    }

    /**
     * Σ scale · (q − 32) · y per lane and super-block into {@code sums} (part 0 stores, part 1 adds):
     * part 0 the values whose low bits are in ql[l] (values l and l+64 of each half, low and high
     * nibble, with bits 0-1 and 4-5 of qh[l]), part 1 those in ql[l+32] (values l+32 and l+96, with
     * bits 2-3 and 6-7, qh shifted right by two first). Two loops of half the body each: one loop
     * with all four outgrows C2's inlining budget, and a vector op left out of line is boxed.
     */
    private static void q6kPart(MemorySegment seg, long off, float[] q, int xOff, int blocks, float[] sc, float[] sums, int part) {
        int runs = 32 / L;
        for (int sb = 0; sb < blocks; sb++) {
            long block = off + 210L * sb;
            FloatVector low = FloatVector.zero(F);
            FloatVector high = low;
            for (int r = 0; r < 2 * runs; r++) {
                int half = r / runs;
                int l = L * (r % runs);
                int x0 = xOff + 256 * sb + 128 * half + 32 * part + l;
                int g = 16 * sb + 8 * half + 2 * part + (l >> 4);
                IntVector v = uints(seg, block + 64L * half + 32 * part + l);
                IntVector top = uints(seg, block + 128 + 32L * half + l);
                if (part == 1) { // constant shift counts only: C2 leaves a variable vector shift out of line
                    top = top.lanewise(VectorOperators.LSHR, 2);
                }
                IntVector lo = v.and(0xF).or(top.lanewise(VectorOperators.LSHL, 4).and(0x30));
                IntVector hi = v.lanewise(VectorOperators.LSHR, 4).or(top.and(0x30));
                low = floats(lo.sub(32)).mul(xv(q, x0)).fma(splat(sc[g]), low);
                high = floats(hi.sub(32)).mul(xv(q, x0 + 64)).fma(splat(sc[g + 4]), high);
            }
            FloatVector sum = low.add(high);
            if (part == 1) {
                sum = sum.add(FloatVector.fromArray(F, sums, sb * L));
            }
            sum.intoArray(sums, sb * L);
        }
    }
}
