package dev.plinth.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Matrix products of F32 activations with weight matrices in any supported {@link DType}, on all
 * threads of {@link Parallel}.
 *
 * <p>Weights are {@link Tensor}s of shape {@code [n, k]} (output features, input features), row
 * major as GGUF and PyTorch's Linear store them, in F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1,
 * Q4_K, Q5_K or Q6_K. Products with quantized weights are computed as llama.cpp computes them:
 * the activations are quantized once per product to Q8_0, Q8_1 or Q8_K ({@link Q8Activations})
 * and each weight block meets them in an integer dot product scaled by both block scales
 * ({@link Q8Dot}), so results agree with llama.cpp's to float rounding. Batches of
 * {@value #PACKED_MIN_ROWS} rows or more (long prompts) take the packed GEMM ({@link Sgemm}): it
 * decodes one cache-sized block of weights at a time into its panels, and for quantized weights
 * meets the same Q8-rounded activations in float arithmetic. Those are the same products summed
 * in another order, so a long prompt's logits differ from llama.cpp's (and from feeding the same
 * tokens one by one) by float rounding, which a later Q8 rounding can amplify to about 1e-2 in a
 * log-probability; the integer path measured 14 times slower than llama.cpp on a 512-token
 * prompt, the packed one about twice. Smaller batches decode four weight rows at a time into a
 * per-thread scratch. No dequantized copy of a matrix is ever made.
 */
public final class MatMul {
    private static final int TILE = 4;
    /**
     * From this many activation rows on, batched products decode weight blocks into packed panels
     * ({@link Sgemm}); below, packing costs more than it saves (measured crossover 32–128 rows).
     */
    static final int PACKED_MIN_ROWS = 64;
    private static final ThreadScratch SCRATCH = new ThreadScratch();
    /** The calling thread's buffer for activations rounded to Q8, reused by every product it makes. */
    private static final ThreadScratch ROUNDED = new ThreadScratch();

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
                    y[yOff + r] = FloatDot.f32(seg, r * rowBytes, x, xOff, k);
                }
            });
            case F16 -> Parallel.parallelFor(n, grain, (s, e) -> {
                for (int r = s; r < e; r++) {
                    y[yOff + r] = FloatDot.f16(seg, r * rowBytes, x, xOff, k);
                }
            });
            case BF16 -> Parallel.parallelFor(n, grain, (s, e) -> {
                for (int r = s; r < e; r++) {
                    y[yOff + r] = FloatDot.bf16(seg, r * rowBytes, x, xOff, k);
                }
            });
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K -> {
                Q8Activations a = Q8Activations.quantize(Q8Activations.typeFor(w.dtype()), x, xOff, 1, k);
                Parallel.parallelFor(n, grain, (s, e) -> quantized(w.dtype(), seg, rowBytes, a, s, e, 0, 1, y, yOff, 0));
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
            float[] a = x;
            if (type.blockSize() > 1) {
                a = ROUNDED.get(m * k);
                Q8Activations.rounded(type, x, m, k, a);
            }
            Sgemm.gemm(m, n, k, a, 0, k, false, Sgemm.ofWeight(type, seg, k), y, 0, n, false);
            return;
        }
        long rowBytes = type.byteSize(k);
        if (type.blockSize() > 1) {
            quantizedMatmul(type, seg, rowBytes, x, m, n, k, y);
            return;
        }
        int tiles = (n + TILE - 1) / TILE;
        Parallel.parallelFor(tiles, (s, e) -> {
            float[] scratch = SCRATCH.get(TILE * k);
            for (int t = s; t < e; t++) {
                int r0 = t * TILE;
                int rows = Math.min(TILE, n - r0);
                for (int r = 0; r < rows; r++) {
                    Quantization.dequantize(type, seg, (r0 + r) * rowBytes, scratch, r * k, k);
                }
                Gemm.rows(x, 0, m, k, scratch, 0, rows, y, r0, n);
            }
        });
    }

    /**
     * Quantized weights: every activation row quantized once, as llama.cpp does, then each weight
     * row multiplied with a group of activation rows while it is in L1 (the same arithmetic as
     * {@link #matvec}, so a prompt's logits do not depend on how it was batched).
     */
    private static void quantizedMatmul(DType type, MemorySegment seg, long rowBytes, float[] x, int m, int n, int k, float[] y) {
        Q8Activations a = Q8Activations.quantize(Q8Activations.typeFor(type), x, 0, m, k);
        // activation rows per pass: about 128 KiB of quants, to stay in L2 while the weights stream by
        int group = Math.max(1, Math.min(m, (32 * 1024) / k));
        int grain = Math.max(1, 8192 / k);
        Parallel.parallelFor(n, grain, (s, e) -> {
            for (int i0 = 0; i0 < m; i0 += group) {
                quantized(type, seg, rowBytes, a, s, e, i0, Math.min(m, i0 + group), y, 0, n);
            }
        });
    }

    /** One weight row (GGUF bytes at {@code off}) times one row of quantized activations: a {@link Q8Dot} kernel. */
    @FunctionalInterface
    private interface RowDot {
        float dot(MemorySegment seg, long off, Q8Activations a, int row);
    }

    /**
     * {@code y[yOff + i·n + r] = W[r] · a[i]} for weight rows [r0, r1) and activation rows [i0, i1).
     * The kernel is called through {@link RowDot}: a model mixes several weight types, and a call
     * site that has seen several of them is not inlined, so each kernel is compiled on its own.
     * Inlined together into one caller they outgrew C2's inlining budget, and the kernel left
     * over boxed its vectors (measured 7.5 ms instead of 0.5 for a 2048² Q5_0 matvec).
     */
    private static void quantized(DType type, MemorySegment seg, long rowBytes, Q8Activations a, int r0, int r1, int i0, int i1,
            float[] y, int yOff, int n) {
        RowDot kernel = kernel(type);
        for (int r = r0; r < r1; r++) {
            for (int i = i0; i < i1; i++) {
                y[yOff + i * n + r] = kernel.dot(seg, r * rowBytes, a, i);
            }
        }
    }

    private static RowDot kernel(DType type) {
        return switch (type) {
            case Q8_0 -> Q8Dot::q8_0;
            case Q4_0 -> Q8Dot::q4_0;
            case Q4_1 -> Q8Dot::q4_1;
            case Q5_0 -> Q8Dot::q5_0;
            case Q5_1 -> Q8Dot::q5_1;
            case Q4_K -> Q8Dot::q4_k;
            case Q5_K -> Q8Dot::q5_k;
            case Q6_K -> Q8Dot::q6_k;
            default -> throw new IllegalArgumentException("no quantized kernel for " + type);
        };
    }

    /**
     * {@code dX[m, k] (+)= dY[m, n] · W[n, k]}: the input gradient of {@code Y = X·Wᵀ} for a frozen
     * weight in any type {@link #matmul} takes (training through a base that stays in its own
     * dtype). Quantized blocks are decoded as the packed GEMM reaches them, into per-thread
     * scratch; no dequantized copy of the matrix is made. With {@code accumulate} the product is
     * added to dX.
     */
    public static void inputGradient(Tensor w, float[] dy, int m, float[] dx, boolean accumulate) {
        int n = rows(w);
        int k = cols(w);
        if (m < 0) {
            throw new IllegalArgumentException("negative row count " + m);
        }
        checkRange("dY", dy.length, 0, (long) m * n);
        checkRange("dX", dx.length, 0, (long) m * k);
        Sgemm.gemm(m, k, n, dy, 0, n, false, Sgemm.ofWeightRows(w.dtype(), w.data(), k), dx, 0, k, accumulate);
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

    /**
     * {@link #gemm(boolean, boolean, float[], float[], float[], int, int, int, boolean)} on sub-matrices:
     * element (i, j) of a matrix stored with offset {@code off} and leading dimension {@code ld} is at
     * {@code off + i·ld + j} (of the matrix as stored, before any transpose). Attention multiplies one
     * head's columns of the packed Q, K and V rows this way, with no copy. Called from inside a
     * {@link Parallel} task it runs on the calling thread.
     */
    public static void gemm(boolean transA, boolean transB, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float[] c, int cOff, int ldc, int m, int n, int k, boolean accumulate) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative dimension in m=" + m + " n=" + n + " k=" + k);
        }
        checkStrided("A", a.length, aOff, lda, transA ? k : m, transA ? m : k);
        checkStrided("B", b.length, bOff, ldb, transB ? n : k, transB ? k : n);
        checkStrided("C", c.length, cOff, ldc, m, n);
        Sgemm.gemm(m, n, k, a, aOff, lda, transA, Sgemm.of(b, bOff, ldb, transB), c, cOff, ldc, accumulate);
    }

    private static void checkStrided(String what, int length, int off, int ld, int rows, int cols) {
        if (rows == 0 || cols == 0) {
            return;
        }
        if (off < 0 || ld < cols || (long) off + (long) (rows - 1) * ld + cols > length) {
            throw new IllegalArgumentException(what + ": " + rows + " x " + cols + " from offset " + off
                    + " with leading dimension " + ld + " does not fit " + length + " elements");
        }
    }

    /** Whether {@link #matvec} and {@link #matmul} accept weights of this type. */
    public static boolean supported(DType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
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
