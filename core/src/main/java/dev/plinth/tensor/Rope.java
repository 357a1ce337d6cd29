package dev.plinth.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary position embedding. {@link #angles} fills the cos/sin tables for one position once;
 * the rotate methods then apply them to any number of heads.
 *
 * <p>Pair {@code i} (for {@code i < rotaryDim/2}) turns by {@code pos * base^(-2i/rotaryDim) /
 * freqFactors[i]}. Interleaved layout (llama2.c, GGUF llama "normal" mode) rotates
 * {@code (x[2i], x[2i+1])}; NeoX layout rotates {@code (x[i], x[i + rotaryDim/2])}. Dimensions
 * from {@code rotaryDim} to {@code headDim} pass through unchanged.
 */
public final class Rope {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Rope() {
    }

    /**
     * Fills {@code cos[0..rotaryDim/2)} and {@code sin[..]} for position {@code pos}.
     *
     * @param freqFactors per-pair divisors of the frequency (e.g. Llama 3 rope scaling), or null
     */
    public static void angles(int pos, int rotaryDim, double base, float[] freqFactors, float[] cos, float[] sin) {
        if (rotaryDim <= 0 || (rotaryDim & 1) != 0) {
            throw new IllegalArgumentException("rotary dimension must be positive and even: " + rotaryDim);
        }
        int half = rotaryDim / 2;
        for (int i = 0; i < half; i++) {
            double freq = Math.pow(base, -2.0 * i / rotaryDim);
            if (freqFactors != null) {
                freq /= freqFactors[i];
            }
            double a = pos * freq;
            cos[i] = (float) Math.cos(a);
            sin[i] = (float) Math.sin(a);
        }
    }

    /** Rotates {@code heads} consecutive heads of {@code headDim} floats at {@code off}, interleaved pairs. */
    public static void rotateInterleaved(float[] x, int off, int heads, int headDim, int rotaryDim, float[] cos, float[] sin) {
        checkDims(headDim, rotaryDim);
        int half = rotaryDim / 2;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                int j = base + 2 * i;
                float a = x[j];
                float b = x[j + 1];
                float c = cos[i];
                float s = sin[i];
                x[j] = a * c - b * s;
                x[j + 1] = a * s + b * c;
            }
        }
    }

    /** Rotates {@code heads} consecutive heads of {@code headDim} floats at {@code off}, NeoX halves. */
    public static void rotateNeox(float[] x, int off, int heads, int headDim, int rotaryDim, float[] cos, float[] sin) {
        checkDims(headDim, rotaryDim);
        int half = rotaryDim / 2;
        int bound = S.loopBound(half);
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            int i = 0;
            for (; i < bound; i += S.length()) {
                FloatVector a = FloatVector.fromArray(S, x, base + i);
                FloatVector b = FloatVector.fromArray(S, x, base + i + half);
                FloatVector c = FloatVector.fromArray(S, cos, i);
                FloatVector s = FloatVector.fromArray(S, sin, i);
                a.mul(c).sub(b.mul(s)).intoArray(x, base + i);
                a.mul(s).add(b.mul(c)).intoArray(x, base + i + half);
            }
            for (; i < half; i++) {
                float a = x[base + i];
                float b = x[base + i + half];
                float c = cos[i];
                float s = sin[i];
                x[base + i] = a * c - b * s;
                x[base + i + half] = a * s + b * c;
            }
        }
    }

    private static void checkDims(int headDim, int rotaryDim) {
        if (rotaryDim <= 0 || (rotaryDim & 1) != 0 || rotaryDim > headDim) {
            throw new IllegalArgumentException(
                    "rotary dimension " + rotaryDim + " must be positive, even and at most the head dimension " + headDim);
        }
    }
}
