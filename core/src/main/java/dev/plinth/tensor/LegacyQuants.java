package dev.plinth.tensor;

import static dev.plinth.tensor.HalfFloat.f16ToF32;
import static dev.plinth.tensor.HalfFloat.f32ToF16;
import static dev.plinth.tensor.LittleEndian.INT;
import static dev.plinth.tensor.LittleEndian.ORDER;
import static dev.plinth.tensor.LittleEndian.SHORT;
import static dev.plinth.tensor.QuantMath.roundHalfAway;
import static dev.plinth.tensor.QuantMath.truncToInt;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 32-element block formats Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and Q8_1, GGUF layout:
 * <pre>
 * Q4_0: f16 d, 16 bytes of nibbles (low nibbles are elements 0..15, high nibbles 16..31); x = (q-8)*d
 * Q4_1: f16 d, f16 m, 16 bytes of nibbles; x = q*d + m
 * Q5_0: f16 d, u32 qh (bit j = 5th bit of element j), 16 bytes of nibbles; x = (q-16)*d
 * Q5_1: f16 d, f16 m, u32 qh, 16 bytes of nibbles; x = q*d + m
 * Q8_0: f16 d, 32 int8; x = q*d
 * Q8_1: f16 d, f16 s (= d * sum q), 32 int8; x = q*d
 * </pre>
 * Quantizers follow ggml's {@code quantize_row_*_ref}, including C's float to int conversions.
 */
final class LegacyQuants {
    private LegacyQuants() {
    }

    static final int QK = 32;
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;

    // ---------------------------------------------------------------- dequantization

    /** Eight consecutive bytes of a block. */
    static ByteVector load8(MemorySegment src, long at) {
        return ByteVector.fromMemorySegment(B64, src, at, ORDER);
    }

    /** Eight small integers (byte lanes) as floats; exact, like C's int to float conversion. */
    static FloatVector toFloats(ByteVector v) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F256, 0);
    }

    /** Eight consecutive bytes of a block, sign-extended to int lanes (x86 has no byte shifts). */
    static IntVector ints8(MemorySegment src, long at) {
        return (IntVector) load8(src, at).convertShape(VectorOperators.B2I, I256, 0);
    }

    /** Int lanes as floats, exactly as C converts an int to float. */
    static FloatVector toFloats(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /** 0x10 in the lanes whose bit of {@code bits} (lane i: bit i) is set, else 0. */
    static ByteVector fifthBits(int bits) {
        return ByteVector.zero(B64).blend((byte) 0x10,
                ByteVector.broadcast(B64, (byte) bits).and(LANE_BITS).compare(VectorOperators.NE, 0));
    }

    private static final ByteVector LANE_BITS = ByteVector.fromArray(B64,
            new byte[] {1, 2, 4, 8, 16, 32, 64, (byte) 128}, 0);

    static void dequantizeQ4_0(MemorySegment src, long off, float[] dst, int dOff, int blocks) {
        for (int b = 0; b < blocks; b++, off += 18, dOff += QK) {
            float d = f16ToF32(src.get(SHORT, off));
            for (int j = 0; j < 16; j += 8) {
                ByteVector q = load8(src, off + 2 + j);
                toFloats(q.and((byte) 0x0F).sub((byte) 8)).mul(d).intoArray(dst, dOff + j);
                toFloats(q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8)).mul(d).intoArray(dst, dOff + 16 + j);
            }
        }
    }

    static void dequantizeQ4_1(MemorySegment src, long off, float[] dst, int dOff, int blocks) {
        for (int b = 0; b < blocks; b++, off += 20, dOff += QK) {
            float d = f16ToF32(src.get(SHORT, off));
            float m = f16ToF32(src.get(SHORT, off + 2));
            for (int j = 0; j < 16; j += 8) {
                ByteVector q = load8(src, off + 4 + j);
                toFloats(q.and((byte) 0x0F)).mul(d).add(m).intoArray(dst, dOff + j);
                toFloats(q.lanewise(VectorOperators.LSHR, 4)).mul(d).add(m).intoArray(dst, dOff + 16 + j);
            }
        }
    }

    static void dequantizeQ5_0(MemorySegment src, long off, float[] dst, int dOff, int blocks) {
        for (int b = 0; b < blocks; b++, off += 22, dOff += QK) {
            float d = f16ToF32(src.get(SHORT, off));
            int qh = src.get(INT, off + 2);
            for (int j = 0; j < 16; j += 8) {
                ByteVector q = load8(src, off + 6 + j);
                toFloats(q.and((byte) 0x0F).or(fifthBits(qh >>> j)).sub((byte) 16))
                        .mul(d).intoArray(dst, dOff + j);
                toFloats(q.lanewise(VectorOperators.LSHR, 4).or(fifthBits(qh >>> (j + 16))).sub((byte) 16))
                        .mul(d).intoArray(dst, dOff + 16 + j);
            }
        }
    }

    static void dequantizeQ5_1(MemorySegment src, long off, float[] dst, int dOff, int blocks) {
        for (int b = 0; b < blocks; b++, off += 24, dOff += QK) {
            float d = f16ToF32(src.get(SHORT, off));
            float m = f16ToF32(src.get(SHORT, off + 2));
            int qh = src.get(INT, off + 4);
            for (int j = 0; j < 16; j += 8) {
                ByteVector q = load8(src, off + 8 + j);
                toFloats(q.and((byte) 0x0F).or(fifthBits(qh >>> j))).mul(d).add(m).intoArray(dst, dOff + j);
                toFloats(q.lanewise(VectorOperators.LSHR, 4).or(fifthBits(qh >>> (j + 16))))
                        .mul(d).add(m).intoArray(dst, dOff + 16 + j);
            }
        }
    }

    /** Q8_0 and Q8_1 differ only in where the int8 quants start ({@code qsAt} = 2 or 4). */
    static void dequantizeQ8(MemorySegment src, long off, int blockBytes, int qsAt, float[] dst, int dOff, int blocks) {
        for (int b = 0; b < blocks; b++, off += blockBytes, dOff += QK) {
            float d = f16ToF32(src.get(SHORT, off));
            for (int j = 0; j < QK; j += 8) {
                toFloats(load8(src, off + qsAt + j)).mul(d).intoArray(dst, dOff + j);
            }
        }
    }

    // ---------------------------------------------------------------- quantization

    static void quantizeQ4_0(float[] x, int xOff, MemorySegment dst, long off, int blocks) {
        for (int b = 0; b < blocks; b++, xOff += QK, off += 18) {
            float max = QuantMath.maxByMagnitude(x, xOff, QK);
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            dst.set(SHORT, off, f32ToF16(d));
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (byte) truncToInt(x[xOff + j] * id + 8.5f)) & 0xFF;
                int q1 = Math.min(15, (byte) truncToInt(x[xOff + 16 + j] * id + 8.5f)) & 0xFF;
                dst.set(ValueLayout.JAVA_BYTE, off + 2 + j, (byte) (q0 | q1 << 4));
            }
        }
    }

    static void quantizeQ4_1(float[] x, int xOff, MemorySegment dst, long off, int blocks) {
        for (int b = 0; b < blocks; b++, xOff += QK, off += 20) {
            float min = min(x, xOff);
            float d = (max(x, xOff) - min) / 15;
            float id = d != 0 ? 1.0f / d : 0.0f;
            dst.set(SHORT, off, f32ToF16(d));
            dst.set(SHORT, off + 2, f32ToF16(min));
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (byte) truncToInt((x[xOff + j] - min) * id + 0.5f)) & 0xFF;
                int q1 = Math.min(15, (byte) truncToInt((x[xOff + 16 + j] - min) * id + 0.5f)) & 0xFF;
                dst.set(ValueLayout.JAVA_BYTE, off + 4 + j, (byte) (q0 | q1 << 4));
            }
        }
    }

    static void quantizeQ5_0(float[] x, int xOff, MemorySegment dst, long off, int blocks) {
        for (int b = 0; b < blocks; b++, xOff += QK, off += 22) {
            float max = QuantMath.maxByMagnitude(x, xOff, QK);
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            dst.set(SHORT, off, f32ToF16(d));
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(31, (byte) truncToInt(x[xOff + j] * id + 16.5f)) & 0xFF;
                int q1 = Math.min(31, (byte) truncToInt(x[xOff + 16 + j] * id + 16.5f)) & 0xFF;
                qh |= storeQ5Pair(dst, off + 6, j, q0, q1);
            }
            dst.set(INT, off + 2, qh);
        }
    }

    static void quantizeQ5_1(float[] x, int xOff, MemorySegment dst, long off, int blocks) {
        for (int b = 0; b < blocks; b++, xOff += QK, off += 24) {
            float min = min(x, xOff);
            float d = (max(x, xOff) - min) / 31;
            float id = d != 0 ? 1.0f / d : 0.0f;
            dst.set(SHORT, off, f32ToF16(d));
            dst.set(SHORT, off + 2, f32ToF16(min));
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                // ggml converts straight to uint8_t here, without the MIN(31, ...) of the other formats
                int q0 = truncToInt((x[xOff + j] - min) * id + 0.5f) & 0xFF;
                int q1 = truncToInt((x[xOff + 16 + j] - min) * id + 0.5f) & 0xFF;
                qh |= storeQ5Pair(dst, off + 8, j, q0, q1);
            }
            dst.set(INT, off + 4, qh);
        }
    }

    /**
     * Stores the low four bits of 5-bit levels {@code q0} (element j) and {@code q1} (element j+16)
     * in nibble byte j at {@code qsAt}; returns their fifth bits at bits j and j+16 of qh.
     */
    private static int storeQ5Pair(MemorySegment dst, long qsAt, int j, int q0, int q1) {
        dst.set(ValueLayout.JAVA_BYTE, qsAt + j, (byte) ((q0 & 0x0F) | (q1 & 0x0F) << 4));
        return ((q0 & 0x10) >>> 4) << j | ((q1 & 0x10) >>> 4) << (j + 16);
    }

    static void quantizeQ8_0(float[] x, int xOff, MemorySegment dst, long off, int blocks) {
        for (int b = 0; b < blocks; b++, xOff += QK, off += 34) {
            float d = absMax(x, xOff) / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            dst.set(SHORT, off, f32ToF16(d));
            for (int j = 0; j < QK; j++) {
                dst.set(ValueLayout.JAVA_BYTE, off + 2 + j, (byte) truncToInt(roundHalfAway(x[xOff + j] * id)));
            }
        }
    }

    static void quantizeQ8_1(float[] x, int xOff, MemorySegment dst, long off, int blocks) {
        for (int b = 0; b < blocks; b++, xOff += QK, off += 36) {
            float d = absMax(x, xOff) / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            dst.set(SHORT, off, f32ToF16(d));
            int sum = 0;
            for (int j = 0; j < QK; j++) {
                byte q = (byte) truncToInt(roundHalfAway(x[xOff + j] * id));
                dst.set(ValueLayout.JAVA_BYTE, off + 4 + j, q);
                sum += q;
            }
            dst.set(SHORT, off + 2, f32ToF16(sum * d));
        }
    }

    /** The smallest value of a block, by ggml's scan from {@code FLT_MAX} (a NaN never replaces it). */
    private static float min(float[] x, int xOff) {
        float min = Float.MAX_VALUE;
        for (int j = 0; j < QK; j++) {
            if (x[xOff + j] < min) {
                min = x[xOff + j];
            }
        }
        return min;
    }

    /** The largest value of a block, by ggml's scan from {@code -FLT_MAX}. */
    private static float max(float[] x, int xOff) {
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < QK; j++) {
            if (x[xOff + j] > max) {
                max = x[xOff + j];
            }
        }
        return max;
    }

    /** ggml's {@code amax = MAX(amax, fabsf(v))}, operand order kept (it decides what a NaN does). */
    private static float absMax(float[] x, int xOff) {
        float amax = 0.0f;
        for (int j = 0; j < QK; j++) {
            float a = Math.abs(x[xOff + j]);
            amax = amax > a ? amax : a;
        }
        return amax;
    }
}
