package dev.plinth.tensor.autograd;

import java.util.Arrays;

/**
 * An F32 heap tensor on a {@link Tape}: row-major values, a shape, and (when it needs one) a
 * gradient of the same size, allocated on first accumulation.
 */
public final class Variable {
    private final String name;
    private final float[] data;
    private final int[] shape;
    private final boolean requiresGrad;
    private float[] grad;

    Variable(String name, float[] data, int[] shape, boolean requiresGrad) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " needs " + n
                    + " values, got " + data.length);
        }
        this.name = name;
        this.data = data;
        this.shape = shape.clone();
        this.requiresGrad = requiresGrad;
    }

    /** A trainable leaf (a weight): its gradient accumulates across backward passes until {@link #zeroGrad}. */
    public static Variable parameter(String name, float[] data, int... shape) {
        return new Variable(name, data, shape, true);
    }

    /** A leaf that needs no gradient (inputs, constants). */
    public static Variable constant(String name, float[] data, int... shape) {
        return new Variable(name, data, shape, false);
    }

    public String name() {
        return name;
    }

    /** The values (live: writing them changes the variable). */
    public float[] data() {
        return data;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int dim(int i) {
        return shape[i];
    }

    public int size() {
        return data.length;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** The gradient, or null when none has been accumulated (or it was released after use). */
    public float[] grad() {
        return grad;
    }

    /** The gradient, allocated (zero) if absent. */
    float[] gradForAccumulation() {
        if (grad == null) {
            grad = new float[data.length];
        }
        return grad;
    }

    /** Forgets the gradient (the next accumulation starts from zero). */
    public void zeroGrad() {
        grad = null;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
