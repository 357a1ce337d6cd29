package dev.plinth.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reductions across the lanes of a vector in one fixed order. {@code reduceLanes(ADD)} leaves the
 * order of its float additions open, and HotSpot uses different orders in compiled code (a tree)
 * and in the interpreter's fallback (lane by lane), so the same product could round differently
 * before and after warm-up; a training run would then not repeat bit for bit (nor resume so).
 */
final class Lanes {
    private Lanes() {
    }

    private static final VectorSpecies<Float> PREFERRED = FloatVector.SPECIES_PREFERRED;
    /** BUTTERFLY[j] pairs lane i with lane i ^ (lanes >> (j + 1)). */
    private static final VectorShuffle<Float>[] BUTTERFLY = butterfly(PREFERRED);

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] butterfly(VectorSpecies<Float> species) {
        int n = species.length();
        int levels = Integer.numberOfTrailingZeros(n);
        VectorShuffle<Float>[] s = new VectorShuffle[levels];
        for (int j = 0; j < levels; j++) {
            int w = n >> (j + 1);
            s[j] = VectorShuffle.fromOp(species, i -> i ^ w);
        }
        return s;
    }

    /**
     * The sum of the lanes by a butterfly: each level adds every lane to its partner half a
     * stride away, so lane 0 ends with a fixed tree of additions (for 8 lanes
     * ((x0+x4)+(x2+x6))+((x1+x5)+(x3+x7)), the order of ggml's {@code hsum_float_8}), in every JIT
     * state; compiled, it is a few shuffles.
     */
    static float sum(FloatVector v) {
        if (v.species() != PREFERRED) {
            float s = 0;
            for (int i = 0; i < v.length(); i++) {
                s += v.lane(i);
            }
            return s;
        }
        for (VectorShuffle<Float> s : BUTTERFLY) {
            v = v.add(v.rearrange(s));
        }
        return v.lane(0);
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5·2²³: adding it rounds a float of magnitude below 2²² to an integer (to nearest even). */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = 0x4B400000;

    /**
     * e^x per lane, within about 2 ulp of {@link Math#exp} for x in [-87, 88] (clamped to it
     * outside, NaN stays NaN): x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 minimax polynomial for
     * e^r (Cephes' expf coefficients) and 2ⁿ built in the exponent bits.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(-87f).min(88f);
        FloatVector t = c.mul(LOG2E).add(ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = c.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector p = r.mul(1.9875691500e-4f).add(1.3981999507e-3f);
        p = p.mul(r).add(8.3334519073e-3f);
        p = p.mul(r).add(4.1665795894e-2f);
        p = p.mul(r).add(1.6666665459e-1f);
        p = p.mul(r).add(5.0000001201e-1f);
        p = p.mul(r.mul(r)).add(r).add(1f);
        IntVector bits = (IntVector) t.reinterpretAsInts();
        IntVector pow2 = bits.sub(ROUNDER_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(pow2.reinterpretAsFloats());
    }
}
