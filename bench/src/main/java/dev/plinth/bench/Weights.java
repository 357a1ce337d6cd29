package dev.plinth.bench;

import dev.plinth.model.convert.RandomModels;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Random benchmark operands: weights quantized by Plinth into native memory, like a mapped file. */
final class Weights {
    private Weights() {
    }

    static float[] gaussian(long seed, int count) {
        Random rnd = new Random(seed);
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    /** A rows × cols matrix as {@link RandomModels} draws weights (N(0, 0.02²)), in {@code type}, in {@code arena}. */
    static Tensor matrix(DType type, int rows, int cols, Arena arena) {
        Tensor f32 = RandomModels.gaussian("w", 0.02, rows * 31L + cols, 0, rows, cols);
        Tensor typed = type == DType.F32 ? f32 : Quantization.quantize(f32, type);
        MemorySegment seg = arena.allocate(typed.data().byteSize(), 64);
        seg.copyFrom(typed.data());
        return new Tensor("w", type, typed.shape(), seg);
    }

    /** "2048x2048" to {rows, cols}. */
    static int[] shape(String s) {
        String[] p = s.split("x");
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    }
}
