package dev.plinth.tensor;

import java.util.Arrays;

/**
 * The numerical helpers of ggml's reference quantizers, reproduced operation for operation so that
 * Plinth's blocks are bit-identical: every product and sum is a float operation in the same order
 * as ggml's C (which is compiled without FMA contraction), and C's conversions are emulated where
 * Java's differ.
 */
final class QuantMath {
    private QuantMath() {
    }

    /** ggml's largest magnitude treated as an all-zero group. */
    static final float GROUP_MAX_EPS = 1e-15f;

    /**
     * ggml's {@code nearest_int}: adding 1.5*2^23 leaves round(x) (ties to even) in the low mantissa
     * bits. Exact for |x| < 2^22; beyond that the result is ggml's garbage, reproduced bit for bit.
     */
    static int nearestInt(float x) {
        int bits = Float.floatToRawIntBits(x + 12582912.f);
        return (bits & 0x007FFFFF) - 0x00400000;
    }

    /**
     * C's float to integer conversion as x86-64 does it ({@code cvttss2si}): truncation toward zero,
     * and the "integer indefinite" value 0x80000000 for NaN and out-of-range inputs, where Java
     * saturates. Callers keep only the low byte, which is then 0.
     */
    static int truncToInt(float x) {
        return x >= -2147483648.0f && x < 2147483648.0f ? (int) x : Integer.MIN_VALUE;
    }

    /** C's {@code roundf}: halves away from zero. */
    static float roundHalfAway(float x) {
        float r = (float) Math.floor(Math.abs((double) x) + 0.5);
        return Math.copySign(r, x);
    }

    /**
     * The element of largest magnitude among {@code x[off, off + n)}, the first one on ties, or 0
     * when all are zero: ggml's {@code amax}/{@code max} scan, whose {@code amax} is its absolute value.
     */
    static float maxByMagnitude(float[] x, int off, int n) {
        float amax = 0;
        float max = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[off + i]);
            if (ax > amax) {
                amax = ax;
                max = x[off + i];
            }
        }
        return max;
    }

    /**
     * {@link #maxByMagnitude} of a group, or 0 with its levels zeroed when ggml treats the group as
     * all zero (largest magnitude below {@link #GROUP_MAX_EPS}).
     */
    private static float groupMax(int n, float[] x, int xOff, byte[] L, int lOff) {
        float max = maxByMagnitude(x, xOff, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            Arrays.fill(L, lOff, lOff + n, (byte) 0);
            return 0;
        }
        return max;
    }

    /**
     * ggml's {@code make_qx_quants} without importance weights ({@code qw == NULL}): symmetric
     * quantization of {@code n} values to [-nmax, nmax-1], stored in {@code L} offset by nmax, with
     * a search over 18 nearby scales when {@code rmseType != 0}. Returns the scale.
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, int rmseType) {
        float max = groupMax(n, x, xOff, L, lOff);
        if (max == 0) {
            return 0.f;
        }
        float iscale = -nmax / max;
        if (rmseType == 0) {
            for (int i = 0; i < n; ++i) {
                int l = nearestInt(iscale * x[xOff + i]);
                L[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
            }
            return 1 / iscale;
        }
        boolean returnEarly = false;
        if (rmseType < 0) {
            rmseType = -rmseType;
            returnEarly = true;
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xOff + i];
            int l = nearestInt(iscale * xi);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lOff + i] = (byte) (l + nmax);
            float w = weight(rmseType, xi);
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        if (returnEarly) {
            return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
        }
        float best = scale * sumlx;
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                int l = nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = weight(rmseType, xi);
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; ++i) {
                    int l = nearestInt(iscale * x[xOff + i]);
                    L[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    private static float weight(int rmseType, float x) {
        return switch (rmseType) {
            case 1 -> x * x;
            case 2 -> 1;
            case 3 -> Math.abs(x);
            default -> (float) Math.sqrt(Math.abs(x));
        };
    }

    /**
     * ggml's {@code make_q3_quants}: symmetric quantization to [-nmax, nmax-1] followed (when
     * {@code doRmse}) by up to five rounds of coordinate descent on the x^2-weighted error. Levels
     * land in {@code L} offset by nmax.
     */
    static float makeQ3Quants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, boolean doRmse) {
        float max = groupMax(n, x, xOff, L, lOff);
        if (max == 0) {
            return 0.f;
        }
        float iscale = -nmax / max;
        if (doRmse) {
            float sumlx = 0;
            float suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                int l = nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                L[lOff + i] = (byte) l;
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            for (int itry = 0; itry < 5; ++itry) {
                int changed = 0;
                for (int i = 0; i < n; ++i) {
                    float xi = x[xOff + i];
                    int li = L[lOff + i];
                    float w = xi * xi;
                    float slx = sumlx - w * xi * li;
                    if (slx > 0) {
                        float sl2 = suml2 - w * li * li;
                        int newL = nearestInt(xi * sl2 / slx);
                        newL = Math.max(-nmax, Math.min(nmax - 1, newL));
                        if (newL != li) {
                            slx += w * xi * newL;
                            sl2 += w * newL * newL;
                            if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                                L[lOff + i] = (byte) newL;
                                sumlx = slx;
                                suml2 = sl2;
                                ++changed;
                            }
                        }
                    }
                }
                if (changed == 0) {
                    break;
                }
            }
            for (int i = 0; i < n; ++i) {
                L[lOff + i] += (byte) nmax;
            }
            return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
        }
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * x[xOff + i]);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lOff + i] = (byte) (l + nmax);
        }
        return 1 / iscale;
    }

    /**
     * ggml's {@code make_qkx2_quants}: asymmetric quantization x ~ scale*L - theMin with L in
     * [0, nmax], refined by trying {@code nstep+1} scales around nmax and solving weighted least
     * squares for (scale, min) each time. Writes L (unsigned levels) and returns the scale; the
     * negated minimum goes to {@code theMin[theMinIndex]}.
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xOff, float[] weights, byte[] L, int lOff,
            float[] theMin, int theMinIndex, byte[] laux, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xOff];
        float max = x[xOff];
        float sumW = weights[0];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; ++i) {
            float xi = x[xOff + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            Arrays.fill(L, lOff, lOff + n, (byte) 0);
            theMin[theMinIndex] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * (x[xOff + i] - min));
            l = Math.max(0, Math.min(nmax, l));
            L[lOff + i] = (byte) l;
            float diff = scale * l + min - x[xOff + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1) {
            theMin[theMinIndex] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; ++is) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                int l = nearestInt(iscale * (xi - min));
                l = Math.max(0, Math.min(nmax, l));
                laux[i] = (byte) l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * xi;
            }
            float d = sumW * sumL2 - sumL * sumL;
            if (d > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / d;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / d;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; ++i) {
                    float diff = thisScale * laux[i] + thisMin - x[xOff + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, L, lOff, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[theMinIndex] = -min;
        return scale;
    }
}
