package dev.plinth.tensor;

import static dev.plinth.tensor.LittleEndian.FLOAT;
import static dev.plinth.tensor.LittleEndian.INT;
import static dev.plinth.tensor.LittleEndian.SHORT;
import static dev.plinth.tensor.QuantDot.f16;
import static dev.plinth.tensor.QuantDot.kMin;
import static dev.plinth.tensor.QuantDot.kScale;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Decodes one weight row of {@code k} values into a float scratch row, for the batched products
 * (one decode serves every activation row). Scalar: a row decode is amortised over the batch.
 */
final class RowDecode {
    private RowDecode() {
    }

    private static int u8(MemorySegment seg, long off) {
        return seg.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    static void decode(DType type, MemorySegment seg, long off, float[] dst, int o, int k) {
        switch (type) {
            case F32 -> MemorySegment.copy(seg, FLOAT, off, dst, o, k);
            case F16 -> {
                for (int i = 0; i < k; i++) {
                    dst[o + i] = f16(seg, off + 2L * i);
                }
            }
            case BF16 -> {
                for (int i = 0; i < k; i++) {
                    dst[o + i] = Float.intBitsToFloat((seg.get(SHORT, off + 2L * i) & 0xFFFF) << 16);
                }
            }
            case Q8_0 -> q8_0(seg, off, dst, o, k);
            case Q4_0, Q4_1 -> q4(type == DType.Q4_1, seg, off, dst, o, k);
            case Q5_0, Q5_1 -> q5(type == DType.Q5_1, seg, off, dst, o, k);
            case Q4_K -> q4_k(seg, off, dst, o, k);
            case Q5_K -> q5_k(seg, off, dst, o, k);
            case Q6_K -> q6_k(seg, off, dst, o, k);
            default -> throw new IllegalArgumentException("no matrix product kernel for " + type);
        }
    }

    private static void q8_0(MemorySegment seg, long off, float[] dst, int o, int k) {
        for (int b = 0; b < k / 32; b++) {
            long p = off + 34L * b;
            float d = f16(seg, p);
            for (int i = 0; i < 32; i++) {
                dst[o + 32 * b + i] = d * seg.get(ValueLayout.JAVA_BYTE, p + 2 + i);
            }
        }
    }

    private static void q4(boolean withMin, MemorySegment seg, long off, float[] dst, int o, int k) {
        int bytes = withMin ? 20 : 18;
        for (int b = 0; b < k / 32; b++) {
            long p = off + (long) bytes * b;
            float d = f16(seg, p);
            float m = withMin ? f16(seg, p + 2) : -8 * d;
            long qs = p + (withMin ? 4 : 2);
            for (int i = 0; i < 16; i++) {
                int q = u8(seg, qs + i);
                dst[o + 32 * b + i] = d * (q & 0xF) + m;
                dst[o + 32 * b + i + 16] = d * (q >> 4) + m;
            }
        }
    }

    private static void q5(boolean withMin, MemorySegment seg, long off, float[] dst, int o, int k) {
        int bytes = withMin ? 24 : 22;
        for (int b = 0; b < k / 32; b++) {
            long p = off + (long) bytes * b;
            float d = f16(seg, p);
            float m = withMin ? f16(seg, p + 2) : -16 * d;
            int qh = seg.get(INT, p + (withMin ? 4 : 2));
            long qs = p + (withMin ? 8 : 6);
            for (int i = 0; i < 16; i++) {
                int q = u8(seg, qs + i);
                dst[o + 32 * b + i] = d * ((q & 0xF) | ((qh >>> i) & 1) << 4) + m;
                dst[o + 32 * b + i + 16] = d * ((q >> 4) | ((qh >>> (i + 16)) & 1) << 4) + m;
            }
        }
    }

    private static void q4_k(MemorySegment seg, long off, float[] dst, int o, int k) {
        for (int sb = 0; sb < k / 256; sb++) {
            long p = off + 144L * sb;
            float d = f16(seg, p);
            float dmin = f16(seg, p + 2);
            for (int j = 0; j < 4; j++) {
                float d1 = d * kScale(seg, p + 4, 2 * j);
                float m1 = dmin * kMin(seg, p + 4, 2 * j);
                float d2 = d * kScale(seg, p + 4, 2 * j + 1);
                float m2 = dmin * kMin(seg, p + 4, 2 * j + 1);
                int y = 256 * sb + 64 * j;
                for (int l = 0; l < 32; l++) {
                    int q = u8(seg, p + 16 + 32L * j + l);
                    dst[o + y + l] = d1 * (q & 0xF) - m1;
                    dst[o + y + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }

    private static void q5_k(MemorySegment seg, long off, float[] dst, int o, int k) {
        for (int sb = 0; sb < k / 256; sb++) {
            long p = off + 176L * sb;
            float d = f16(seg, p);
            float dmin = f16(seg, p + 2);
            for (int j = 0; j < 4; j++) {
                float d1 = d * kScale(seg, p + 4, 2 * j);
                float m1 = dmin * kMin(seg, p + 4, 2 * j);
                float d2 = d * kScale(seg, p + 4, 2 * j + 1);
                float m2 = dmin * kMin(seg, p + 4, 2 * j + 1);
                int y = 256 * sb + 64 * j;
                for (int l = 0; l < 32; l++) {
                    int q = u8(seg, p + 48 + 32L * j + l);
                    int h = u8(seg, p + 16 + l);
                    dst[o + y + l] = d1 * ((q & 0xF) | ((h >> (2 * j)) & 1) << 4) - m1;
                    dst[o + y + 32 + l] = d2 * ((q >> 4) | ((h >> (2 * j + 1)) & 1) << 4) - m2;
                }
            }
        }
    }

    private static void q6_k(MemorySegment seg, long off, float[] dst, int o, int k) {
        for (int sb = 0; sb < k / 256; sb++) {
            long p = off + 210L * sb;
            float d = f16(seg, p + 208);
            for (int h = 0; h < 2; h++) {
                long ql = p + 64L * h;
                long qh = p + 128 + 32L * h;
                long sc = p + 192 + 8L * h;
                int y = 256 * sb + 128 * h;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int a = u8(seg, ql + l);
                    int c = u8(seg, ql + l + 32);
                    int hb = u8(seg, qh + l);
                    dst[o + y + l] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is) * (((a & 0xF) | (hb & 3) << 4) - 32);
                    dst[o + y + l + 32] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 2) * (((c & 0xF) | ((hb >> 2) & 3) << 4) - 32);
                    dst[o + y + l + 64] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 4) * (((a >> 4) | ((hb >> 4) & 3) << 4) - 32);
                    dst[o + y + l + 96] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 6) * (((c >> 4) | ((hb >> 6) & 3) << 4) - 32);
                }
            }
        }
    }
}
