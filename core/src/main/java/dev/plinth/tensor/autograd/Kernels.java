package dev.plinth.tensor.autograd;

import dev.plinth.tensor.Activations;
import dev.plinth.tensor.Parallel;

/** Small helpers of the backward passes. */
final class Kernels {
    private Kernels() {
    }

    /** {@code acc += x}, element-wise, on all cores. */
    static void addInto(float[] acc, float[] x) {
        Parallel.parallelFor(acc.length, 16384, (s, e) -> Activations.add(acc, s, acc, s, x, s, e - s));
    }
}
