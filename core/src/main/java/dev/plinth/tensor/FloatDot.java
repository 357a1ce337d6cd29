package dev.plinth.tensor;

import static dev.plinth.tensor.LittleEndian.FLOAT;
import static dev.plinth.tensor.LittleEndian.ORDER;
import static dev.plinth.tensor.LittleEndian.SHORT;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
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

    /** F16 kernel: 16 lanes where the hardware has them (AVX-512), else 8. */
    private static final VectorSpecies<Float> FW = Q8Dot.F;
    /** Halves widened per pass: a multiple of two vectors of every width, small enough to stay in L1. */
    private static final int WIDEN_CHUNK = 256;
    private static final ThreadLocal<float[]> WIDENED = ThreadLocal.withInitial(() -> new float[WIDEN_CHUNK]);

    /**
     * Widens the row a chunk at a time with {@link Float#float16ToFloat} in a plain loop, which C2
     * turns into packed vcvtph2ps (AVX-512 or F16C), then multiplies the floats in two accumulators.
     * Converting in vector lanes by integer arithmetic instead cost a dozen instructions per vector,
     * and its Vector API code ran seconds per matrix before C2 compiled it.
     */
    static float f16(MemorySegment seg, long off, float[] x, int xOff, int k) {
        float[] w = WIDENED.get();
        FloatVector a0 = FloatVector.zero(FW);
        FloatVector a1 = FloatVector.zero(FW);
        int step = FW.length();
        int i = 0;
        while (i + 2 * step <= k) {
            int n = Math.min(WIDEN_CHUNK, (k - i) / (2 * step) * (2 * step));
            widenHalves(seg, off + 2L * i, w, n);
            for (int j = 0; j < n; j += 2 * step) {
                a0 = FloatVector.fromArray(FW, w, j).fma(FloatVector.fromArray(FW, x, xOff + i + j), a0);
                a1 = FloatVector.fromArray(FW, w, j + step).fma(FloatVector.fromArray(FW, x, xOff + i + j + step), a1);
            }
            i += n;
        }
        if (i + step <= k) {
            widenHalves(seg, off + 2L * i, w, step);
            a0 = FloatVector.fromArray(FW, w, 0).fma(FloatVector.fromArray(FW, x, xOff + i), a0);
            i += step;
        }
        float s = Lanes.sum(a0.add(a1));
        for (; i < k; i++) {
            s += HalfFloat.f16(seg, off + 2L * i) * x[xOff + i];
        }
        return s;
    }

    private static void widenHalves(MemorySegment seg, long off, float[] dst, int count) {
        for (int j = 0; j < count; j++) {
            dst[j] = HalfFloat.f16(seg, off + 2L * j);
        }
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
