package dev.plinth.train;

/** Learning-rate schedules, as a function of the 0-based optimizer step. */
public final class LearningRate {
    private LearningRate() {
    }

    /**
     * Linear warm-up to {@code peak} over {@code warmupSteps} (step s gets {@code peak·(s+1)/warmup}),
     * then half a cosine from {@code peak} down to {@code min} at step {@code totalSteps}, and
     * {@code min} after it.
     */
    public static double warmupCosine(long step, double peak, double min, long warmupSteps, long totalSteps) {
        if (step < 0 || warmupSteps < 0 || totalSteps < warmupSteps || !(peak >= min) || min < 0) {
            throw new IllegalArgumentException("warm-up cosine needs 0 <= step, 0 <= warm-up <= total and peak >= min >= 0;"
                    + " got step " + step + ", warm-up " + warmupSteps + ", total " + totalSteps + ", peak " + peak
                    + ", min " + min);
        }
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        if (step >= totalSteps) {
            return min;
        }
        double progress = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
        return min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * progress));
    }
}
