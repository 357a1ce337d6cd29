package dev.plinth.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Matrix products of F32 activations with weight matrices in any supported {@link DType}, on all
 * threads of {@link Parallel}.
 *
 * <p>Weights are {@link Tensor}s of shape {@code [n, k]} (output features, input features), row
 * major as GGUF and PyTorch's Linear store them, in F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1,
 * Q4_K, Q5_K or Q6_K. Quantized weights are decoded block by block inside the kernels; no
 * dequantized copy of a matrix is ever made: batched products of a few rows decode four weight rows
 * at a time into a small per-thread scratch, larger batches decode one cache-sized block at a time
 * into the packed panels of {@link Sgemm}.
 */
public final class MatMul {
    private static final int TILE = 4;
    /**
     * From this many activation rows on, batched products decode weight blocks into packed panels
     * ({@link Sgemm}); below, packing costs more than it saves (measured crossover 32–128 rows).
     */
    private static final int PACKED_MIN_ROWS = 64;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    private MatMul() {
    }

    /** {@code y[yOff + r] = W[r, :] · x[xOff .. xOff+k)} for every row r of W. */
    public static void matvec(Tensor w, float[] x, int xOff, float[] y, int yOff) {
        int n = rows(w);
        int k = cols(w);
        checkRange("x", x.length, xOff, k);
        checkRange("y", y.length, yOff, n);
        MemorySegment seg = w.data();
        long rowBytes = w.dtype().byteSize(k);
        int grain = Math.max(1, 8192 / k);
        switch (w.dtype()) {
            case F32 -> Parallel.parallelFor(n, grain, (s, e) -> {
                for (int r = s; r < e; r++) {
                    y[yOff + r] = QuantDot.f32(seg, r * rowBytes, x, xOff, k);
                }
            });
            case F16 -> Parallel.parallelFor(n, grain, (s, e) -> {
                for (int r = s; r < e; r++) {
                    y[yOff + r] = QuantDot.f16(seg, r * rowBytes, x, xOff, k);
                }
            });
            case BF16 -> Parallel.parallelFor(n, grain, (s, e) -> {
                for (int r = s; r < e; r++) {
                    y[yOff + r] = QuantDot.bf16(seg, r * rowBytes, x, xOff, k);
                }
            });
            case Q8_0 -> Parallel.parallelFor(n, grain, (s, e) -> {
                for (int r = s; r < e; r++) {
                    y[yOff + r] = QuantDot.q8_0(seg, r * rowBytes, x, xOff, k);
                }
            });
            case Q4_0 -> {
                float[] xs = QuantDot.blockSums16(x, xOff, k);
                Parallel.parallelFor(n, grain, (s, e) -> {
                    for (int r = s; r < e; r++) {
                        y[yOff + r] = QuantDot.q4_0(seg, r * rowBytes, x, xOff, xs, k);
                    }
                });
            }
            case Q4_1 -> {
                float[] xs = QuantDot.blockSums16(x, xOff, k);
                Parallel.parallelFor(n, grain, (s, e) -> {
                    for (int r = s; r < e; r++) {
                        y[yOff + r] = QuantDot.q4_1(seg, r * rowBytes, x, xOff, xs, k);
                    }
                });
            }
            case Q5_0 -> {
                float[] xs = QuantDot.blockSums16(x, xOff, k);
                Parallel.parallelFor(n, grain, (s, e) -> {
                    for (int r = s; r < e; r++) {
                        y[yOff + r] = QuantDot.q5_0(seg, r * rowBytes, x, xOff, xs, k);
                    }
                });
            }
            case Q5_1 -> {
                float[] xs = QuantDot.blockSums16(x, xOff, k);
                Parallel.parallelFor(n, grain, (s, e) -> {
                    for (int r = s; r < e; r++) {
                        y[yOff + r] = QuantDot.q5_1(seg, r * rowBytes, x, xOff, xs, k);
                    }
                });
            }
            case Q4_K -> {
                float[] xs = QuantDot.blockSums16(x, xOff, k);
                Parallel.parallelFor(n, grain, (s, e) -> {
                    float[] ds = new float[k / 16];
                    float[] dm = new float[k / 16];
                    for (int r = s; r < e; r++) {
                        y[yOff + r] = QuantDot.q4_k(seg, r * rowBytes, x, xOff, xs, k, ds, dm);
                    }
                });
            }
            case Q5_K -> {
                float[] xs = QuantDot.blockSums16(x, xOff, k);
                Parallel.parallelFor(n, grain, (s, e) -> {
                    float[] ds = new float[k / 16];
                    float[] dm = new float[k / 16];
                    for (int r = s; r < e; r++) {
                        y[yOff + r] = QuantDot.q5_k(seg, r * rowBytes, x, xOff, xs, k, ds, dm);
                    }
                });
            }
            case Q6_K -> {
                float[] xs = QuantDot.blockSums16(x, xOff, k);
                Parallel.parallelFor(n, grain, (s, e) -> {
                    float[] ds = new float[k / 16];
                    float[] dm = new float[k / 16];
                    for (int r = s; r < e; r++) {
                        y[yOff + r] = QuantDot.q6_k(seg, r * rowBytes, x, xOff, xs, k, ds, dm);
                    }
                });
            }
            default -> throw unsupported(w);
        }
    }

    /** {@link #matvec(Tensor, float[], int, float[], int)} with whole arrays. */
    public static void matvec(Tensor w, float[] x, float[] y) {
        matvec(w, x, 0, y, 0);
    }

    /**
     * The batched product {@code Y[m, n] = X[m, k] · W[n, k]^T}, X and Y row-major (prefill: one
     * row per token).
     */
    public static void matmul(Tensor w, float[] x, int m, float[] y) {
        int n = rows(w);
        int k = cols(w);
        if (m < 0) {
            throw new IllegalArgumentException("negative row count " + m);
        }
        checkRange("X", x.length, 0, (long) m * k);
        checkRange("Y", y.length, 0, (long) m * n);
        if (m == 0) {
            return;
        }
        if (m == 1) {
            matvec(w, x, 0, y, 0);
            return;
        }
        DType type = w.dtype();
        if (!supported(type)) {
            throw unsupported(w);
        }
        MemorySegment seg = w.data();
        if (m >= PACKED_MIN_ROWS) {
            Sgemm.gemm(m, n, k, x, 0, k, false, Sgemm.ofWeight(type, seg, k), y, 0, n, false);
            return;
        }
        long rowBytes = type.byteSize(k);
        int tiles = (n + TILE - 1) / TILE;
        Parallel.parallelFor(tiles, (s, e) -> {
            float[] scratch = scratch(TILE * k);
            for (int t = s; t < e; t++) {
                int r0 = t * TILE;
                int rows = Math.min(TILE, n - r0);
                for (int r = 0; r < rows; r++) {
                    RowDecode.decode(type, seg, (r0 + r) * rowBytes, scratch, r * k, k);
                }
                Gemm.rows(x, 0, m, k, scratch, 0, rows, y, r0, n);
            }
        });
    }

    /**
     * Plain F32 {@code C[m, n] = A[m, k] · B[n, k]^T}, all row-major (the layer's forward product
     * {@code X·Wᵀ}).
     */
    public static void gemm(float[] a, float[] b, float[] c, int m, int n, int k) {
        gemm(false, true, a, b, c, m, n, k, false);
    }

    /**
     * F32 {@code C[m, n] (+)= op(A) · op(B)} with every matrix row-major and dense: op(A) is
     * {@code A[m, k]}, or {@code Aᵀ} for {@code A[k, m]} when {@code transA}; op(B) is {@code B[k, n]},
     * or {@code Bᵀ} for {@code B[n, k]} when {@code transB}. With {@code accumulate} the product is
     * added to C, otherwise C is overwritten. Training uses all three layouts of a linear layer
     * {@code Y = X·Wᵀ}: forward (false, true), {@code dX = dY·W} (false, false) and
     * {@code dW = dYᵀ·X} (true, false); no transpose is ever materialized.
     */
    public static void gemm(boolean transA, boolean transB, float[] a, float[] b, float[] c, int m, int n, int k,
                            boolean accumulate) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative dimension in m=" + m + " n=" + n + " k=" + k);
        }
        checkRange("A", a.length, 0, (long) m * k);
        checkRange("B", b.length, 0, (long) n * k);
        checkRange("C", c.length, 0, (long) m * n);
        Sgemm.gemm(m, n, k, a, 0, transA ? m : k, transA, Sgemm.of(b, 0, transB ? k : n, transB), c, 0, n,
                accumulate);
    }

    /** Whether {@link #matvec} and {@link #matmul} accept weights of this type. */
    public static boolean supported(DType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    private static float[] scratch(int size) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < size) {
            holder[0] = new float[size];
        }
        return holder[0];
    }

    private static int rows(Tensor w) {
        if (w.rank() != 2) {
            throw new IllegalArgumentException("weight " + w + " is not a matrix");
        }
        if (w.dim(0) > Integer.MAX_VALUE || w.dim(1) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("weight " + w + " has a dimension beyond 2^31-1");
        }
        return (int) w.dim(0);
    }

    private static int cols(Tensor w) {
        int k = (int) w.dim(1);
        DType type = w.dtype();
        if (!supported(type)) {
            throw unsupported(w);
        }
        long rowBytes = type.byteSize(k);
        if (rowBytes < 0) {
            throw new IllegalArgumentException(
                    "weight " + w + ": row length " + k + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        long need = rowBytes * w.dim(0);
        if (w.data().byteSize() < need) {
            throw new IllegalArgumentException(
                    "weight " + w + " needs " + need + " bytes but its data hold " + w.data().byteSize());
        }
        return k;
    }

    private static void checkRange(String what, int length, long off, long count) {
        if (off < 0 || off + count > length) {
            throw new IllegalArgumentException(
                    what + " has " + length + " elements, needs " + count + " from offset " + off);
        }
    }

    private static IllegalArgumentException unsupported(Tensor w) {
        return new IllegalArgumentException("no matrix product kernel for " + w.dtype() + " (weight " + w + ")");
    }
}
