package dev.plinth.train;

import dev.plinth.tensor.autograd.Variable;
import java.util.Collection;

/** Operations over the gradients of a set of parameters. */
public final class Gradients {
    private Gradients() {
    }

    /** The L2 norm of all gradients together (absent gradients count as zero), summed in double. */
    public static double globalNorm(Collection<Variable> params) {
        double ss = 0;
        for (Variable p : params) {
            float[] g = p.grad();
            if (g != null) {
                for (float x : g) {
                    ss += (double) x * x;
                }
            }
        }
        return Math.sqrt(ss);
    }

    /**
     * Scales all gradients by {@code maxNorm / (norm + 1e-6)} when their global norm exceeds
     * {@code maxNorm} (PyTorch's {@code clip_grad_norm_}); returns the norm before clipping.
     */
    public static double clipGlobalNorm(Collection<Variable> params, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("the clipping norm must be positive, was " + maxNorm);
        }
        double norm = globalNorm(params);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            scale(params, (float) coef);
        }
        return norm;
    }

    /** Multiplies every gradient by {@code factor}. */
    public static void scale(Collection<Variable> params, float factor) {
        for (Variable p : params) {
            float[] g = p.grad();
            if (g != null) {
                for (int i = 0; i < g.length; i++) {
                    g[i] *= factor;
                }
            }
        }
    }

    /** Clears every gradient (before the first micro-batch of a step). */
    public static void zero(Collection<Variable> params) {
        params.forEach(Variable::zeroGrad);
    }
}
