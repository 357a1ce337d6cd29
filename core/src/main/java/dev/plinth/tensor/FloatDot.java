package dev.plinth.tensor;

import static dev.plinth.tensor.LittleEndian.FLOAT;
import static dev.plinth.tensor.LittleEndian.ORDER;
import static dev.plinth.tensor.LittleEndian.SHORT;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of one F32, F16 or BF16 weight row, stored in a {@link MemorySegment} in its GGUF
 * layout, with an F32 activation vector (quantized rows: {@link Q8Dot}). One method per dtype
 * keeps every hot loop monomorphic.
 */
final class FloatDot {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Short> H = ShortVector.SPECIES_128;
    private static final VectorSpecies<Float> FP = FloatVector.SPECIES_PREFERRED;

    private FloatDot() {
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
            a0 = FloatVector.fromMemorySegment(FP, seg, p, ORDER).fma(FloatVector.fromArray(FP, x, xOff + i), a0);
            a1 = FloatVector.fromMemorySegment(FP, seg, p + 4L * step, ORDER).fma(FloatVector.fromArray(FP, x, xOff + i + step), a1);
            a2 = FloatVector.fromMemorySegment(FP, seg, p + 8L * step, ORDER).fma(FloatVector.fromArray(FP, x, xOff + i + 2 * step), a2);
            a3 = FloatVector.fromMemorySegment(FP, seg, p + 12L * step, ORDER).fma(FloatVector.fromArray(FP, x, xOff + i + 3 * step), a3);
        }
        for (; i + step <= k; i += step) {
            a0 = FloatVector.fromMemorySegment(FP, seg, off + 4L * i, ORDER).fma(FloatVector.fromArray(FP, x, xOff + i), a0);
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            s += seg.get(FLOAT, off + 4L * i) * x[xOff + i];
        }
        return s;
    }

    /** F16 kernels: 16 lanes where the hardware has them (AVX-512), else 8. */
    private static final VectorSpecies<Float> FW = Q8Dot.F;
    private static final VectorSpecies<Integer> IW = Q8Dot.I;
    private static final VectorSpecies<Short> HW = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * FW.length()));

    /**
     * F16 to F32 in registers without floating-point arithmetic on subnormal floats (which costs a
     * microcode assist per lane on x86): normals get their exponent rebiased by an integer add,
     * subnormal halves (mantissa m, value m·2^-24) are converted from the integer m and scaled,
     * infinities and NaNs get the float's all-ones exponent; the sign bit of the sign-extended
     * half is the float's.
     */
    private static FloatVector halfs(MemorySegment seg, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(HW, seg, off, ORDER).convertShape(VectorOperators.S2I, IW, 0);
        IntVector em = h.and(0x7FFF);
        IntVector shifted = em.lanewise(VectorOperators.LSHL, 13);
        IntVector normal = shifted.add((127 - 15) << 23);
        IntVector subnormal = ((FloatVector) em.convert(VectorOperators.I2F, 0)).mul(0x1p-24f).reinterpretAsInts();
        IntVector bits = normal.blend(subnormal, em.compare(VectorOperators.LT, 0x400));
        bits = bits.blend(shifted.or(0x7F800000), em.compare(VectorOperators.GE, 0x7C00));
        return bits.or(h.and(0x80000000)).reinterpretAsFloats();
    }

    static float f16(MemorySegment seg, long off, float[] x, int xOff, int k) {
        FloatVector a0 = FloatVector.zero(FW);
        FloatVector a1 = FloatVector.zero(FW);
        int step = FW.length();
        int i = 0;
        for (; i + 2 * step <= k; i += 2 * step) {
            a0 = halfs(seg, off + 2L * i).fma(FloatVector.fromArray(FW, x, xOff + i), a0);
            a1 = halfs(seg, off + 2L * (i + step)).fma(FloatVector.fromArray(FW, x, xOff + i + step), a1);
        }
        for (; i + step <= k; i += step) {
            a0 = halfs(seg, off + 2L * i).fma(FloatVector.fromArray(FW, x, xOff + i), a0);
        }
        float s = Lanes.sum(a0.add(a1));
        for (; i < k; i++) {
            s += HalfFloat.f16(seg, off + 2L * i) * x[xOff + i];
        }
        return s;
    }

    private static FloatVector bf16s(MemorySegment seg, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, seg, off, ORDER).convertShape(VectorOperators.S2I, I, 0);
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
            s += HalfFloat.bf16ToF32(seg.get(SHORT, off + 2L * i)) * x[xOff + i];
        }
        return s;
    }
}
