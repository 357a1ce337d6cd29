package dev.plinth.bench;

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

    static Tensor matrix(DType type, int rows, int cols, Arena arena) {
        float[] row = new float[cols];
        long rowBytes = type.byteSize(cols);
        MemorySegment seg = arena.allocate(rowBytes * rows, 64);
        Random rnd = new Random(rows * 31L + cols);
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < cols; i++) {
                row[i] = (float) rnd.nextGaussian() * 0.02f;
            }
            Quantization.quantize(type, row, 0, cols, seg, r * rowBytes);
        }
        return new Tensor("w", type, new long[] {rows, cols}, seg);
    }

    /** "2048x2048" to {rows, cols}. */
    static int[] shape(String s) {
        String[] p = s.split("x");
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    }
}
