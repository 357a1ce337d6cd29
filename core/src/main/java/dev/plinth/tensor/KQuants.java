package dev.plinth.tensor;

import static dev.plinth.tensor.HalfFloat.f16ToF32;
import static dev.plinth.tensor.HalfFloat.f32ToF16;
import static dev.plinth.tensor.LegacyQuants.ints8;
import static dev.plinth.tensor.LegacyQuants.load8;
import static dev.plinth.tensor.LegacyQuants.toFloats;
import static dev.plinth.tensor.LittleEndian.FLOAT;
import static dev.plinth.tensor.LittleEndian.INT;
import static dev.plinth.tensor.LittleEndian.SHORT;
import static dev.plinth.tensor.QuantMath.GROUP_MAX_EPS;
import static dev.plinth.tensor.QuantMath.makeQ3Quants;
import static dev.plinth.tensor.QuantMath.makeQkx2Quants;
import static dev.plinth.tensor.QuantMath.makeQxQuants;
import static dev.plinth.tensor.QuantMath.nearestInt;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The 256-element super-block ("K") formats, GGUF layout (byte offsets within a block):
 * <pre>
 * Q2_K (84):  scales[16] @0 (low nibble scale, high nibble min), qs[64] @16 (2-bit), f16 d @80, f16 dmin @82
 * Q3_K (110): hmask[32] @0 (3rd bit), qs[64] @32 (low 2 bits), scales[12] @96 (16 x 6-bit), f16 d @108
 * Q4_K (144): f16 d @0, f16 dmin @2, scales[12] @4 (8 x 6-bit scale + 8 x 6-bit min), qs[128] @16
 * Q5_K (176): f16 d @0, f16 dmin @2, scales[12] @4, qh[32] @16 (5th bit), qs[128] @48
 * Q6_K (210): ql[128] @0 (low 4 bits), qh[64] @128 (high 2 bits), int8 scales[16] @192, f16 d @208
 * Q8_K (292): f32 d @0, int8 qs[256] @4, int16 bsums[16] @260 (sums of 16 quants)
 * </pre>
 * Dequantizers decode eight quants at a time with the Vector API. Quantizers follow ggml's
 * {@code quantize_row_*_ref} step by step.
 */
final class KQuants {
    private KQuants() {
    }

    static final int QK_K = 256;

    private static float half(byte[] b, int at) {
        return f16ToF32((short) ((b[at] & 0xFF) | b[at + 1] << 8));
    }

    private static void putHalf(byte[] b, int at, float f) {
        short h = f32ToF16(f);
        b[at] = (byte) h;
        b[at + 1] = (byte) (h >> 8);
    }

    private static void store(byte[] blk, MemorySegment dst, long off) {
        MemorySegment.copy(blk, 0, dst, ValueLayout.JAVA_BYTE, off, blk.length);
    }

    /**
     * ggml's {@code get_scale_min_k4} for all eight sub-blocks of a Q4_K/Q5_K super-block at once:
     * their 6-bit scales, sub-block j's in byte j ({@link #subBlock}), from the 12 packed bytes at
     * {@code at}. Sub-blocks 0-3 keep theirs in the low six bits of bytes 0-3; sub-blocks 4-7 take
     * their low four bits from the low nibbles of bytes 8-11 and their top two from the spare high
     * bits of bytes 0-3.
     */
    static long packedScales(MemorySegment seg, long at) {
        int u0 = seg.get(INT, at);
        int u2 = seg.get(INT, at + 8);
        int low = u0 & 0x3F3F3F3F;
        int high = (u2 & 0x0F0F0F0F) | ((u0 >>> 6) & 0x03030303) << 4;
        return (low & 0xFFFFFFFFL) | (long) high << 32;
    }

    /** The eight 6-bit minimums, packed as {@link #packedScales}: bytes 4-7, high nibbles of 8-11, spare bits of 4-7. */
    static long packedMins(MemorySegment seg, long at) {
        int u1 = seg.get(INT, at + 4);
        int u2 = seg.get(INT, at + 8);
        int low = u1 & 0x3F3F3F3F;
        int high = ((u2 >>> 4) & 0x0F0F0F0F) | ((u1 >>> 6) & 0x03030303) << 4;
        return (low & 0xFFFFFFFFL) | (long) high << 32;
    }

    /** Sub-block j's scale or minimum (0-63) from {@link #packedScales} or {@link #packedMins}. */
    static int subBlock(long packed, int j) {
        return (int) (packed >>> (8 * j)) & 0xFF;
    }

    /** The 6-bit scale of sub-block j of a Q3_K block (12 packed bytes at {@code at}), minus 32. */
    private static int scaleQ3(MemorySegment src, long at, int j) {
        int low = j < 8 ? src.get(ValueLayout.JAVA_BYTE, at + j) & 0xF : (src.get(ValueLayout.JAVA_BYTE, at + j - 8) & 0xFF) >>> 4;
        int high = ((src.get(ValueLayout.JAVA_BYTE, at + 8 + j % 4) & 0xFF) >>> (2 * (j / 4))) & 3;
        return (low | high << 4) - 32;
    }

    // ---------------------------------------------------------------- dequantization

    private static float halfAt(MemorySegment src, long at) {
        return f16ToF32(src.get(SHORT, at));
    }

    private static byte byteAt(MemorySegment src, long at) {
        return src.get(ValueLayout.JAVA_BYTE, at);
    }

    static void dequantizeQ2K(MemorySegment src, long off, float[] y, int yOff, int blocks) {
        for (int i = 0; i < blocks; i++, off += 84) {
            float d = halfAt(src, off + 80);
            float min = halfAt(src, off + 82);
            int is = 0;
            for (int q = 16; q < 80; q += 32) {
                for (int shift = 0; shift < 8; shift += 2) {
                    for (int half = 0; half < 32; half += 16) {
                        int sc = byteAt(src, off + is++) & 0xFF;
                        float dl = d * (sc & 0xF);
                        float ml = min * (sc >>> 4);
                        for (int l = 0; l < 16; l += 8) {
                            ByteVector v = load8(src, off + q + half + l).lanewise(VectorOperators.LSHR, shift);
                            toFloats(v.and((byte) 3)).mul(dl).sub(ml).intoArray(y, yOff + l);
                        }
                        yOff += 16;
                    }
                }
            }
        }
    }

    static void dequantizeQ3K(MemorySegment src, long off, float[] y, int yOff, int blocks) {
        for (int i = 0; i < blocks; i++, off += 110) {
            float dAll = halfAt(src, off + 108);
            int is = 0;
            int m = 1;
            for (int q = 32; q < 96; q += 32) {
                for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
                    for (int half = 0; half < 32; half += 16) {
                        float dl = dAll * scaleQ3(src, off + 96, is++);
                        for (int l = 0; l < 16; l += 8) {
                            ByteVector low = load8(src, off + q + half + l).lanewise(VectorOperators.LSHR, shift)
                                    .and((byte) 3);
                            // elements whose high bit is clear are 4 lower
                            ByteVector hm = load8(src, off + half + l).and((byte) m);
                            ByteVector v = low.sub((byte) 4, hm.compare(VectorOperators.EQ, 0));
                            toFloats(v).mul(dl).intoArray(y, yOff + l);
                        }
                        yOff += 16;
                    }
                }
            }
        }
    }

    static void dequantizeQ4K(MemorySegment src, long off, float[] y, int yOff, int blocks) {
        for (int i = 0; i < blocks; i++, off += 144) {
            float d = halfAt(src, off);
            float min = halfAt(src, off + 2);
            long scales = packedScales(src, off + 4);
            long mins = packedMins(src, off + 4);
            for (int j = 0, q = 16; j < 8; j += 2, q += 32) {
                float d1 = d * subBlock(scales, j);
                float m1 = min * subBlock(mins, j);
                float d2 = d * subBlock(scales, j + 1);
                float m2 = min * subBlock(mins, j + 1);
                for (int l = 0; l < 32; l += 8) {
                    IntVector v = ints8(src, off + q + l);
                    toFloats(v.and(0xF)).mul(d1).sub(m1).intoArray(y, yOff + l);
                    toFloats(v.lanewise(VectorOperators.ASHR, 4).and(0xF)).mul(d2).sub(m2).intoArray(y, yOff + 32 + l);
                }
                yOff += 64;
            }
        }
    }

    static void dequantizeQ5K(MemorySegment src, long off, float[] y, int yOff, int blocks) {
        for (int i = 0; i < blocks; i++, off += 176) {
            float d = halfAt(src, off);
            float min = halfAt(src, off + 2);
            long scales = packedScales(src, off + 4);
            long mins = packedMins(src, off + 4);
            for (int j = 0, q = 48, shift = 0; j < 8; j += 2, q += 32, shift += 2) {
                float d1 = d * subBlock(scales, j);
                float m1 = min * subBlock(mins, j);
                float d2 = d * subBlock(scales, j + 1);
                float m2 = min * subBlock(mins, j + 1);
                for (int l = 0; l < 32; l += 8) {
                    IntVector v = ints8(src, off + q + l);
                    // bit `shift` of qh is the 5th bit of the low nibble's element, bit shift+1 the high one's
                    IntVector qh = ints8(src, off + 16 + l).lanewise(VectorOperators.ASHR, shift);
                    IntVector lo = v.and(0xF).or(qh.and(1).lanewise(VectorOperators.LSHL, 4));
                    IntVector hi = v.lanewise(VectorOperators.ASHR, 4).and(0xF).or(qh.and(2).lanewise(VectorOperators.LSHL, 3));
                    toFloats(lo).mul(d1).sub(m1).intoArray(y, yOff + l);
                    toFloats(hi).mul(d2).sub(m2).intoArray(y, yOff + 32 + l);
                }
                yOff += 64;
            }
        }
    }

    static void dequantizeQ6K(MemorySegment src, long off, float[] y, int yOff, int blocks) {
        for (int i = 0; i < blocks; i++, off += 210) {
            float d = halfAt(src, off + 208);
            for (int n = 0, ql = 0, qh = 128, sc = 192; n < QK_K; n += 128, ql += 64, qh += 32, sc += 8) {
                // one call site: C2 inlines it once and stays under its node budget
                for (int k = 0; k < 8; k++) {
                    int l = 8 * (k >> 1);
                    int half = k & 1;
                    int is = l / 16 + 2 * half;
                    // ggml multiplies (d * scale) first, then the quant
                    q6Lanes(src, off + ql + l + 32 * half, off + qh + l, 2 * half, d * byteAt(src, off + sc + is),
                            d * byteAt(src, off + sc + is + 4), y, yOff + n + l + 32 * half);
                }
            }
            yOff += QK_K;
        }
    }

    /**
     * Eight Q6_K bytes of low bits at {@code qsAt} hold two outputs: low nibbles (high bits at
     * {@code shift} of qh) go to {@code y[at..]}, high nibbles (high bits at shift + 4) to
     * {@code y[at + 64..]}. Kept apart, with scalar arguments only, so that C2 can compile it on its
     * own when the caller is too big to inline more vector code (vectors would otherwise be boxed).
     */
    private static void q6Lanes(MemorySegment src, long qsAt, long qhAt, int shift, float scaleLow,
            float scaleHigh, float[] y, int at) {
        ByteVector q = load8(src, qsAt);
        ByteVector h = load8(src, qhAt).lanewise(VectorOperators.LSHR, shift);
        ByteVector low = q.and((byte) 0xF).or(h.and((byte) 3).lanewise(VectorOperators.LSHL, 4));
        ByteVector high = q.lanewise(VectorOperators.LSHR, 4).or(h.and((byte) 0x30));
        toFloats(low.sub((byte) 32)).mul(scaleLow).intoArray(y, at);
        toFloats(high.sub((byte) 32)).mul(scaleHigh).intoArray(y, at + 64);
    }

    static void dequantizeQ8K(MemorySegment src, long off, float[] y, int yOff, int blocks) {
        for (int i = 0; i < blocks; i++, off += 292) {
            float d = src.get(FLOAT, off);
            for (int j = 0; j < QK_K; j += 8) {
                toFloats(load8(src, off + 4 + j)).mul(d).intoArray(y, yOff + j);
            }
            yOff += QK_K;
        }
    }

    // ---------------------------------------------------------------- quantization

    /** Packs 2-bit levels: byte l of each 32-byte group holds elements l, l+32, l+64, l+96 of a 128 chunk. */
    private static void pack2Bit(byte[] L, byte[] b, int at) {
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; l++) {
                b[at + j / 4 + l] = (byte) (L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 | L[j + l + 96] << 6);
            }
        }
    }

    static void quantizeQ2K(float[] x, int xOff, MemorySegment dst, long off, int blocks) {
        byte[] b = new byte[84];
        byte[] L = new byte[QK_K];
        byte[] laux = new byte[16];
        float[] weights = new float[16];
        float[] mins = new float[16];
        float[] scales = new float[16];
        for (int i = 0; i < blocks; i++, xOff += QK_K, off += 84) {
            java.util.Arrays.fill(b, (byte) 0);
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 16; j++) {
                for (int l = 0; l < 16; l++) {
                    weights[l] = Math.abs(x[xOff + 16 * j + l]);
                }
                scales[j] = makeQkx2Quants(16, 3, x, xOff + 16 * j, weights, L, 16 * j, mins, j, laux,
                        -0.5f, 0.1f, 15, true);
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            if (maxScale > 0) {
                float iscale = 15.f / maxScale;
                for (int j = 0; j < 16; j++) {
                    b[j] = (byte) nearestInt(iscale * scales[j]);
                }
                putHalf(b, 80, maxScale / 15.f);
            } else {
                putHalf(b, 80, 0.f);
            }
            if (maxMin > 0) {
                float iscale = 15.f / maxMin;
                for (int j = 0; j < 16; j++) {
                    b[j] |= (byte) (nearestInt(iscale * mins[j]) << 4);
                }
                putHalf(b, 82, maxMin / 15.f);
            } else {
                putHalf(b, 82, 0.f);
            }
            float dAll = half(b, 80);
            float dminAll = half(b, 82);
            for (int j = 0; j < 16; j++) {
                float d = dAll * (b[j] & 0xF);
                if (d == 0) {
                    continue;
                }
                float dm = dminAll * ((b[j] & 0xFF) >>> 4);
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt((x[xOff + 16 * j + ii] + dm) / d);
                    L[16 * j + ii] = (byte) Math.max(0, Math.min(3, l));
                }
            }
            pack2Bit(L, b, 16);
            store(b, dst, off);
        }
    }

    static void quantizeQ3K(float[] x, int xOff, MemorySegment dst, long off, int blocks) {
        byte[] b = new byte[110];
        MemorySegment block = MemorySegment.ofArray(b);
        byte[] L = new byte[QK_K];
        float[] scales = new float[16];
        for (int i = 0; i < blocks; i++, xOff += QK_K, off += 110) {
            java.util.Arrays.fill(b, (byte) 0);
            float maxScale = 0;
            float amax = 0;
            for (int j = 0; j < 16; j++) {
                scales[j] = makeQ3Quants(16, 4, x, xOff + 16 * j, L, 16 * j, true);
                float scale = Math.abs(scales[j]);
                if (scale > amax) {
                    amax = scale;
                    maxScale = scales[j];
                }
            }
            if (maxScale != 0) {
                float iscale = -32.f / maxScale;
                for (int j = 0; j < 16; j++) {
                    byte l = (byte) nearestInt(iscale * scales[j]);
                    l = (byte) (Math.max(-32, Math.min(31, l)) + 32);
                    if (j < 8) {
                        b[96 + j] = (byte) (l & 0xF);
                    } else {
                        b[96 + j - 8] |= (byte) ((l & 0xF) << 4);
                    }
                    l >>= 4;
                    b[96 + 8 + j % 4] |= (byte) (l << (2 * (j / 4)));
                }
                putHalf(b, 108, 1 / iscale);
            } else {
                putHalf(b, 108, 0.f);
            }
            float dAll = half(b, 108);
            for (int j = 0; j < 16; j++) {
                float d = dAll * scaleQ3(block, 96, j);
                if (d == 0) {
                    continue;
                }
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt(x[xOff + 16 * j + ii] / d);
                    L[16 * j + ii] = (byte) (Math.max(-4, Math.min(3, l)) + 4);
                }
            }
            int m = 0;
            int hm = 1;
            for (int j = 0; j < QK_K; j++) {
                if (L[j] > 3) {
                    b[m] |= (byte) hm;
                    L[j] -= 4;
                }
                if (++m == 32) {
                    m = 0;
                    hm <<= 1;
                }
            }
            pack2Bit(L, b, 32);
            store(b, dst, off);
        }
    }

    /**
     * The shared first half of Q4_K and Q5_K: per 32-element sub-block, fit scale and min with
     * {@code make_qkx2_quants}, pack them as 6-bit integers relative to the largest, then
     * re-quantize every element against the rounded (f16) scales. Leaves levels in {@code L}.
     */
    private static void quantizeScaleMinBlock(float[] x, int xOff, byte[] b, byte[] L, int nmax,
            float rmin, float rdelta, int nstep, float[] weights, float[] mins, float[] scales, byte[] laux) {
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            int at = xOff + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[at + l] * x[at + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[l] = avX + Math.abs(x[at + l]);
            }
            scales[j] = makeQkx2Quants(32, nmax, x, at, weights, L, 32 * j, mins, j, laux, rmin, rdelta, nstep, false);
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
        float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                b[4 + j] = (byte) ls;
                b[4 + j + 4] = (byte) lm;
            } else {
                b[4 + j + 4] = (byte) ((ls & 0xF) | (lm & 0xF) << 4);
                b[4 + j - 4] |= (byte) ((ls >>> 4) << 6);
                b[4 + j] |= (byte) ((lm >>> 4) << 6);
            }
        }
        putHalf(b, 0, maxScale / 63.f);
        putHalf(b, 2, maxMin / 63.f);
        float dAll = half(b, 0);
        float dminAll = half(b, 2);
        MemorySegment block = MemorySegment.ofArray(b);
        long packedScales = packedScales(block, 4);
        long packedMins = packedMins(block, 4);
        for (int j = 0; j < 8; j++) {
            float d = dAll * subBlock(packedScales, j);
            if (d == 0) {
                continue;
            }
            float dm = dminAll * subBlock(packedMins, j);
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[xOff + 32 * j + ii] + dm) / d);
                L[32 * j + ii] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
    }

    static void quantizeQ4K(float[] x, int xOff, MemorySegment dst, long off, int blocks) {
        byte[] b = new byte[144];
        byte[] L = new byte[QK_K];
        byte[] laux = new byte[32];
        float[] weights = new float[32];
        float[] mins = new float[8];
        float[] scales = new float[8];
        for (int i = 0; i < blocks; i++, xOff += QK_K, off += 144) {
            java.util.Arrays.fill(b, (byte) 0);
            quantizeScaleMinBlock(x, xOff, b, L, 15, -1.f, 0.1f, 20, weights, mins, scales, laux);
            for (int j = 0, q = 16; j < QK_K; j += 64, q += 32) {
                for (int l = 0; l < 32; l++) {
                    b[q + l] = (byte) (L[j + l] | L[j + l + 32] << 4);
                }
            }
            store(b, dst, off);
        }
    }

    static void quantizeQ5K(float[] x, int xOff, MemorySegment dst, long off, int blocks) {
        byte[] b = new byte[176];
        byte[] L = new byte[QK_K];
        byte[] laux = new byte[32];
        float[] weights = new float[32];
        float[] mins = new float[8];
        float[] scales = new float[8];
        for (int i = 0; i < blocks; i++, xOff += QK_K, off += 176) {
            java.util.Arrays.fill(b, (byte) 0);
            quantizeScaleMinBlock(x, xOff, b, L, 31, -0.5f, 0.1f, 15, weights, mins, scales, laux);
            int m1 = 1;
            int m2 = 2;
            for (int n = 0, ql = 48; n < QK_K; n += 64, ql += 32, m1 <<= 2, m2 <<= 2) {
                for (int j = 0; j < 32; j++) {
                    int l1 = L[n + j];
                    if (l1 > 15) {
                        l1 -= 16;
                        b[16 + j] |= (byte) m1;
                    }
                    int l2 = L[n + j + 32];
                    if (l2 > 15) {
                        l2 -= 16;
                        b[16 + j] |= (byte) m2;
                    }
                    b[ql + j] = (byte) (l1 | l2 << 4);
                }
            }
            store(b, dst, off);
        }
    }

    static void quantizeQ6K(float[] x, int xOff, MemorySegment dst, long off, int blocks) {
        byte[] b = new byte[210];
        byte[] L = new byte[QK_K];
        float[] scales = new float[16];
        for (int i = 0; i < blocks; i++, xOff += QK_K, off += 210) {
            java.util.Arrays.fill(b, (byte) 0);
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int ib = 0; ib < 16; ib++) {
                float scale = makeQxQuants(16, 32, x, xOff + 16 * ib, L, 16 * ib, 1);
                scales[ib] = scale;
                float absScale = Math.abs(scale);
                if (absScale > maxAbsScale) {
                    maxAbsScale = absScale;
                    maxScale = scale;
                }
            }
            if (maxAbsScale < GROUP_MAX_EPS) {
                putHalf(b, 208, 0.f);
                store(b, dst, off);
                continue;
            }
            float iscale = -128.f / maxScale;
            putHalf(b, 208, 1 / iscale);
            for (int ib = 0; ib < 16; ib++) {
                b[192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
            }
            float dAll = half(b, 208);
            for (int j = 0; j < 16; j++) {
                float d = dAll * b[192 + j];
                if (d == 0) {
                    continue;
                }
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt(x[xOff + 16 * j + ii] / d);
                    L[16 * j + ii] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
                }
            }
            for (int j = 0, ql = 0, qh = 128; j < QK_K; j += 128, ql += 64, qh += 32) {
                for (int l = 0; l < 32; l++) {
                    int q1 = L[j + l] & 0xF;
                    int q2 = L[j + l + 32] & 0xF;
                    int q3 = L[j + l + 64] & 0xF;
                    int q4 = L[j + l + 96] & 0xF;
                    b[ql + l] = (byte) (q1 | q3 << 4);
                    b[ql + l + 32] = (byte) (q2 | q4 << 4);
                    b[qh + l] = (byte) ((L[j + l] >> 4) | (L[j + l + 32] >> 4) << 2
                            | (L[j + l + 64] >> 4) << 4 | (L[j + l + 96] >> 4) << 6);
                }
            }
            store(b, dst, off);
        }
    }

    static void quantizeQ8K(float[] x, int xOff, MemorySegment dst, long off, int blocks) {
        byte[] b = new byte[292];
        for (int i = 0; i < blocks; i++, xOff += QK_K, off += 292) {
            java.util.Arrays.fill(b, (byte) 0);
            float max = QuantMath.maxByMagnitude(x, xOff, QK_K);
            if (max == 0) {
                // ggml leaves bsums untouched here; Plinth writes the true sums, zero
                store(b, dst, off);
                continue;
            }
            float iscale = -127.f / max;
            for (int j = 0; j < QK_K; j++) {
                b[4 + j] = (byte) Math.min(127, nearestInt(iscale * x[xOff + j]));
            }
            for (int j = 0; j < 16; j++) {
                int sum = 0;
                for (int ii = 0; ii < 16; ii++) {
                    sum += b[4 + 16 * j + ii];
                }
                b[260 + 2 * j] = (byte) sum;
                b[260 + 2 * j + 1] = (byte) (sum >> 8);
            }
            int bits = Float.floatToRawIntBits(1 / iscale);
            for (int k = 0; k < 4; k++) {
                b[k] = (byte) (bits >>> (8 * k));
            }
            store(b, dst, off);
        }
    }
}
