package dev.plinth.eval;

import java.nio.charset.StandardCharsets;

/**
 * What the model did with one item: per choice (or per rolling document: one entry) the
 * log-likelihood and whether it was the greedy continuation; for a probe, what it said.
 *
 * @param item   the item
 * @param lls    log-likelihood per request (a rolling item: the document's total)
 * @param greedy whether each continuation was greedy
 * @param output a probe's greedy continuation, else null
 */
record Outcome(Item item, double[] lls, boolean[] greedy, String output) {

    /** {@code argmax ℓᵢ}: the choice the model prefers. */
    int predicted() {
        return argmax(lls, null);
    }

    /** {@code argmax ℓᵢ / len(choiceᵢ)}, the length in characters (code points, as Python counts them). */
    int predictedNormalized() {
        double[] length = new double[lls.length];
        for (int i = 0; i < length.length; i++) {
            String c = item.choices().get(i);
            length[i] = c.codePointCount(0, c.length());
        }
        return argmax(lls, length);
    }

    /** {@code argmax ℓᵢ / bytes(choiceᵢ)}, the length in UTF-8 bytes. */
    int predictedByBytes() {
        double[] length = new double[lls.length];
        for (int i = 0; i < length.length; i++) {
            length[i] = item.choices().get(i).getBytes(StandardCharsets.UTF_8).length;
        }
        return argmax(lls, length);
    }

    boolean isGold(int choice) {
        for (int g : item.gold()) {
            if (g == choice) {
                return true;
            }
        }
        return false;
    }

    /** numpy's {@code argmax}: the first of equal maxima; {@code x / 0} is ±infinity as in numpy. */
    private static int argmax(double[] x, double[] divisor) {
        int best = 0;
        double bestValue = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i++) {
            double v = divisor == null ? x[i] : x[i] / divisor[i];
            if (i == 0 || v > bestValue || (Double.isNaN(v) && !Double.isNaN(bestValue))) {
                best = i;
                bestValue = v;
                if (Double.isNaN(v)) {
                    break;
                }
            }
        }
        return best;
    }
}
