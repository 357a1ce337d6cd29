package dev.plinth.train;

import dev.plinth.tensor.Parallel;
import dev.plinth.tensor.autograd.Variable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), updating in the order PyTorch's
 * {@code torch.optim.AdamW} does: {@code p ← p·(1 − lr·λ)}, then
 * {@code p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)}. Parameters without a gradient are
 * skipped (and their step count does not advance).
 */
public final class AdamW {

    /** Hyper-parameters; PyTorch's defaults are {@code (0.9, 0.999, 1e-8, 0.01)}. */
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {
        public Settings {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("AdamW needs 0 <= beta < 1, eps > 0 and weight decay >= 0: " + this);
            }
        }

        public static Settings defaults() {
            return new Settings(0.9, 0.999, 1e-8, 0.01);
        }
    }

    /**
     * Decay for matrices only: vectors (norm weights, biases) never decay, nor, when
     * {@code excludeEmbeddings}, the token embedding ({@code token_embd.weight}).
     */
    public static Predicate<Variable> decayMatrices(boolean excludeEmbeddings) {
        return v -> v.shape().length >= 2 && !(excludeEmbeddings && v.name().equals("token_embd.weight"));
    }

    private final Settings settings;
    private final List<Variable> params;
    private final Map<Variable, State> state = new IdentityHashMap<>();
    private final Predicate<Variable> decays;

    private static final class State {
        final float[] m;
        final float[] v;
        long step;

        State(int n) {
            this(new float[n], new float[n]);
        }

        State(float[] m, float[] v) {
            this.m = m;
            this.v = v;
        }
    }

    public AdamW(Collection<Variable> params, Settings settings, Predicate<Variable> decays) {
        this.params = new ArrayList<>(params);
        this.settings = settings;
        this.decays = decays;
    }

    /** Updates every parameter that has a gradient with learning rate {@code lr}. */
    public void step(double lr) {
        for (Variable p : params) {
            float[] g = p.grad();
            if (g == null) {
                continue;
            }
            State s = state.computeIfAbsent(p, k -> new State(k.size()));
            s.step++;
            update(p.data(), g, s, lr, decays.test(p) ? settings.weightDecay() : 0);
        }
    }

    /** Steps taken on {@code p} so far. */
    public long steps(Variable p) {
        State s = state.get(p);
        return s == null ? 0 : s.step;
    }

    /** The first and second moments and the step count of one parameter, as a checkpoint holds them. */
    record Moments(float[] m, float[] v, long step) {
    }

    /** {@code p}'s state (live arrays), or null before its first step. */
    Moments moments(Variable p) {
        State s = state.get(p);
        return s == null ? null : new Moments(s.m, s.v, s.step);
    }

    /** Restores {@code p}'s state from a checkpoint. */
    void restore(Variable p, float[] m, float[] v, long step) {
        if (m.length != p.size() || v.length != p.size() || step < 0) {
            throw new IllegalArgumentException("optimizer state of " + m.length + "/" + v.length + " values, step " + step
                    + ", does not fit " + p);
        }
        State s = new State(m, v);
        s.step = step;
        state.put(p, s);
    }

    Settings settings() {
        return settings;
    }

    private void update(float[] w, float[] g, State s, double lr, double decay) {
        float b1 = (float) settings.beta1();
        float b2 = (float) settings.beta2();
        double correction1 = 1 - Math.pow(settings.beta1(), s.step);
        double correction2 = 1 - Math.pow(settings.beta2(), s.step);
        float stepSize = (float) (lr / correction1);
        float sqrtCorrection2 = (float) Math.sqrt(correction2);
        float eps = (float) settings.eps();
        float keep = (float) (1 - lr * decay);
        float[] m = s.m;
        float[] v = s.v;
        Parallel.parallelFor(w.length, 4096, (a, b) -> {
            for (int i = a; i < b; i++) {
                float gi = g[i];
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                float denom = (float) Math.sqrt(v[i]) / sqrtCorrection2 + eps;
                w[i] = w[i] * keep - stepSize * m[i] / denom;
            }
        });
    }
}
