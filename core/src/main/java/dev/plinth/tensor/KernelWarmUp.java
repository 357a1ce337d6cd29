package dev.plinth.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiles the matrix-vector kernels of some weight types ahead of their first real use, by
 * running them on a small random matrix on a background thread. Until C2 has compiled a Vector
 * API kernel it runs in the interpreter or C1, about a hundred times slower (the first token of a
 * 1.1B-parameter Q8_0 model took about 3 s from JVM start, most of it there); a small matrix gets
 * through those tiers in a fraction of the work. Each type is warmed once per JVM.
 */
public final class KernelWarmUp {
    /** Calls per type: enough invocations of the kernel for C2 (about 5,000) with room to spare. */
    private static final int CALLS = 1500;
    private static final int ROWS = 8;
    private static final int COLS = 512;
    private static final Set<DType> STARTED = ConcurrentHashMap.newKeySet();

    private KernelWarmUp() {
    }

    /**
     * Starts warming the products with weights of {@code types} (those {@link MatMul#supported}
     * and not warmed before in this JVM) on a daemon thread, and returns it; null when there is
     * nothing to warm.
     */
    public static Thread start(Collection<DType> types) {
        List<DType> todo = types.stream().distinct().filter(MatMul::supported).filter(STARTED::add).toList();
        if (todo.isEmpty()) {
            return null;
        }
        Thread t = Thread.ofPlatform().daemon().name("plinth-warm-up").start(() -> todo.forEach(KernelWarmUp::warm));
        return t;
    }

    private static void warm(DType type) {
        SplittableRandom rnd = new SplittableRandom(type.ordinal());
        float[] w = new float[ROWS * COLS];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        Tensor f32 = new Tensor("warm-up", DType.F32, new long[] {ROWS, COLS}, MemorySegment.ofArray(w));
        Tensor weights = type == DType.F32 ? f32 : Quantization.quantize(f32, type);
        float[] x = new float[COLS];
        float[] y = new float[ROWS];
        for (int i = 0; i < COLS; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        for (int c = 0; c < CALLS; c++) {
            MatMul.matvec(weights, x, y);
        }
    }
}
