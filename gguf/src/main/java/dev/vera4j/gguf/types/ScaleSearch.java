package dev.vera4j.gguf.types;

/**
 * The scale searches of ggml's k-quant reference quantizers, in the same float arithmetic and order of operations so
 * that the chosen quants (and so the bytes) are identical.
 */
final class ScaleSearch {
    /** ggml's {@code GROUP_MAX_EPS}: groups whose largest magnitude is below this are all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private ScaleSearch() {}

    /**
     * ggml's {@code make_qkx2_quants}: for {@code x[xOff .. xOff+n)} finds {@code scale} and {@code min} with
     * {@code x ≈ scale * L - min}, {@code L} in {@code [0, nmax]}, minimizing the weighted squared error (or absolute
     * error when {@code useMad}) over {@code nstep + 1} candidate scales around {@code nmax / (max - min)}.
     *
     * @param levels receives the chosen L at {@code levels[lOff ..]}
     * @param aux    scratch of at least {@code n}
     * @param minOut receives the negated minimum (a non-negative offset) at {@code minOut[minIdx]}
     * @return the scale
     */
    static float minMaxScale(int n, int nmax, float[] x, int xOff, float[] weights, byte[] levels, int lOff,
                             float[] minOut, int minIdx, byte[] aux, float rmin, float rdelta, int nstep,
                             boolean useMad) {
        float min = x[xOff];
        float max = x[xOff];
        float sumW = weights[0];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; i++) {
            float v = x[xOff + i];
            if (v < min) min = v;
            if (v > max) max = v;
            float w = weights[i];
            sumW += w;
            sumX += w * v;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) levels[lOff + i] = 0;
            minOut[minIdx] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestMad = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.max(0, Math.min(nmax, Rounding.nearestInt(iscale * (x[xOff + i] - min))));
            levels[lOff + i] = (byte) l;
            float diff = scale * l + min - x[xOff + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestMad += weights[i] * diff;
        }
        if (nstep < 1) {
            minOut[minIdx] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(0, Math.min(nmax, Rounding.nearestInt(iscale * (x[xOff + i] - min))));
                aux[i] = (byte) l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xOff + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float mad = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xOff + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    mad += weights[i] * diff;
                }
                if (mad < bestMad) {
                    System.arraycopy(aux, 0, levels, lOff, n);
                    bestMad = mad;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minOut[minIdx] = -min;
        return scale;
    }

    /**
     * ggml's {@code make_qx_quants} with {@code rmse_type = 1} and no importance weights: a symmetric scale for
     * {@code x[xOff .. xOff+n)} with levels {@code L - nmax} in {@code [-nmax, nmax)}, weighting errors by x², tried
     * at 19 candidate scales around {@code -nmax / m} (m = the value of largest magnitude).
     *
     * @param levels receives {@code L} (offset by {@code nmax}, so in {@code [0, 2 nmax)}) at {@code levels[lOff ..]}
     * @return the scale (signed)
     */
    static float symmetricScale(int n, int nmax, float[] x, int xOff, byte[] levels, int lOff) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) levels[lOff + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0;
        float sumL2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, Rounding.nearestInt(iscale * v)));
            levels[lOff + i] = (byte) (l + nmax);
            float w = v * v;
            sumLX += w * v * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0.0f;
        float best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumLX = 0;
            sumL2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xOff + i];
                int l = Math.max(-nmax, Math.min(nmax - 1, Rounding.nearestInt(iscale * v)));
                float w = v * v;
                sumLX += w * v * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) {
                    int l = Math.max(-nmax, Math.min(nmax - 1, Rounding.nearestInt(iscale * x[xOff + i])));
                    levels[lOff + i] = (byte) (l + nmax);
                }
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }

    /**
     * ggml's {@code make_q3_quants} with {@code do_rmse}: a symmetric scale for {@code x[xOff .. xOff+n)} with levels
     * in {@code [-nmax, nmax)}, refined by up to 5 passes that move single levels while the x²-weighted fit improves.
     *
     * @param levels receives the levels offset by {@code nmax} at {@code levels[lOff ..]}
     * @return the scale (signed)
     */
    static float refinedSymmetricScale(int n, int nmax, float[] x, int xOff, byte[] levels, int lOff) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) levels[lOff + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0;
        float sumL2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, Rounding.nearestInt(iscale * v)));
            levels[lOff + i] = (byte) l;
            float w = v * v;
            sumLX += w * v * l;
            sumL2 += w * l * l;
        }
        for (int pass = 0; pass < 5; pass++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xOff + i];
                int old = levels[lOff + i];
                float w = v * v;
                float slx = sumLX - w * v * old;
                if (slx > 0) {
                    float sl2 = sumL2 - w * old * old;
                    int l = Math.max(-nmax, Math.min(nmax - 1, Rounding.nearestInt(v * sl2 / slx)));
                    if (l != old) {
                        slx += w * v * l;
                        sl2 += w * l * l;
                        if (sl2 > 0 && slx * slx * sumL2 > sumLX * sumLX * sl2) {
                            levels[lOff + i] = (byte) l;
                            sumLX = slx;
                            sumL2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; i++) levels[lOff + i] += (byte) nmax;
        return sumLX / sumL2;
    }
}
