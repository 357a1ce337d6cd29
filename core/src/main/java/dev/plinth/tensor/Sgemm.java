package dev.plinth.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * F32 matrix product {@code C (+)= op(A) · op(B)} in the GotoBLAS structure: op(B) is packed,
 * one {@code kc × nc} block at a time, into panels of {@link #NR} columns stored k-major (sized to
 * stay in a core's L2 cache), op(A) into panels of {@link #MR} rows stored k-major (a few KiB, in
 * L1), and a register micro-kernel accumulates an {@code MR × NR} tile of C over the whole block
 * with one FMA per (row, vector). Transposed operands cost nothing extra: packing reads them in
 * whichever order they are stored.
 *
 * <p>The tile adapts to the preferred vector species: with 16 lanes or more (AVX-512, 32 vector
 * registers) 12 rows × 2 vectors = 24 accumulators; otherwise (AVX2, 16 registers) 6 rows × 2
 * vectors = 12 accumulators, leaving registers for the two B vectors and the broadcast A value.
 * Edge tiles are computed on zero-padded panels into a scratch tile and only their valid part is
 * written back.
 *
 * <p>Parallel: each B block is packed once, shared by all threads; the tiles of C are split into
 * a few tasks per thread (over row panels, and over column panels when there are few rows), each
 * packing its own A panels.
 */
final class Sgemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Rows of the register tile. */
    static final int MR = L >= 16 ? 12 : 6;
    /** Columns of the register tile: two vectors. */
    static final int NR = 2 * L;
    /** Largest k-block: an A panel (MR × KC floats) stays in L1. */
    private static final int KC = 384;
    /** Columns per B block: KC × NC floats ≈ 1 MiB, half of a core's L2. */
    private static final int NC = Math.max(NR, (1 << 18) / KC / NR * NR);

    /** k-values per step of a panel transpose: a {@code CHUNK × NR} slice of the panel stays in L1. */
    private static final int CHUNK = 64;

    private static final ThreadScratch B_PACK = new ThreadScratch();
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Sgemm() {
    }

    /** Per-thread buffers: one packed A panel, an edge tile, a decoded weight row. */
    private static final class Scratch {
        final float[] a = new float[MR * KC + L];
        final float[] tile = new float[MR * NR];
        final int[] index = new int[L];
        float[] row = new float[0];

        float[] row(int size) {
            if (row.length < size) {
                row = new float[size];
            }
            return row;
        }
    }

    /**
     * Packs columns {@code [j0, j0 + cols)} (cols ≤ NR·panels) of the k-range {@code [p0, p0 + kc)}
     * of op(B) as consecutive panels: panel q's element (p, jj) at {@code dst[off + q·NR·kc + p·NR + jj]},
     * columns past the end zero.
     */
    interface PanelSource {
        void pack(int j0, int cols, int p0, int kc, float[] dst, int off);

        /** k-blocks must start and end on multiples of this (a quantization block). */
        default int kAlign() {
            return 1;
        }
    }

    /** op(B) from a float array: {@code B(p, j) = b[off + p·ld + j]}, or {@code b[off + j·ld + p]} if transposed. */
    static PanelSource of(float[] b, int off, int ld, boolean trans) {
        return trans ? (j0, cols, p0, kc, dst, o) -> packRows(b, off, ld, j0, cols, p0, kc, dst, o)
                : (j0, cols, p0, kc, dst, o) -> packColumns(b, off, ld, j0, cols, p0, kc, dst, o);
    }

    /** op(B) = Wᵀ for a weight {@code W [n, k]} of any {@link Quantization} type, decoded while packing. */
    static PanelSource ofWeight(DType type, MemorySegment seg, int k) {
        long rowBytes = type.byteSize(k);
        int align = type.blockSize();
        return new PanelSource() {
            @Override
            public void pack(int j0, int cols, int p0, int kc, float[] dst, int off) {
                float[] rows = SCRATCH.get().row(NR * kc);
                long skip = type.byteSize(p0);
                for (int q = 0; q * NR < cols; q++) {
                    int width = Math.min(NR, cols - q * NR);
                    for (int jj = 0; jj < width; jj++) {
                        Quantization.dequantize(type, seg, (j0 + q * NR + jj) * rowBytes + skip, rows, jj * kc, kc);
                    }
                    interleave(rows, 0, kc, width, kc, dst, off + q * NR * kc);
                }
            }

            @Override
            public int kAlign() {
                return align;
            }
        };
    }

    /**
     * op(B) = W for a weight {@code W [n, k]} of any {@link Quantization} type (the input gradient
     * {@code dX = dY·W} of {@code Y = X·Wᵀ}), decoded while packing: each row slice is decoded from
     * whole blocks into per-thread scratch, so no copy of the matrix is made.
     */
    static PanelSource ofWeightRows(DType type, MemorySegment seg, int k) {
        long rowBytes = type.byteSize(k);
        int block = type.blockSize();
        return (j0, cols, p0, kc, dst, off) -> {
            int from = j0 / block * block;
            int to = Math.min(k, (j0 + cols + block - 1) / block * block);
            float[] row = SCRATCH.get().row(to - from);
            for (int p = 0; p < kc; p++) {
                Quantization.dequantize(type, seg, (p0 + p) * rowBytes + type.byteSize(from), row, 0, to - from);
                for (int q = 0; q * NR < cols; q++) {
                    int width = Math.min(NR, cols - q * NR);
                    System.arraycopy(row, j0 - from + q * NR, dst, off + q * NR * kc + p * NR, width);
                }
            }
            for (int q = 0; q * NR < cols; q++) {
                zeroColumns(dst, off + q * NR * kc, Math.min(NR, cols - q * NR), kc);
            }
        };
    }

    /**
     * {@code C[i, j] = (accumulate ? C[i, j] : 0) + Σ_p A(i, p) · B(p, j)} for i < m, j < n, with
     * {@code C[i, j]} at {@code c[cOff + i·ldc + j]} and {@code A(i, p)} at {@code a[aOff + i·lda + p]},
     * or {@code a[aOff + p·lda + i]} if {@code transA}. Bounds are the caller's to check.
     */
    static void gemm(int m, int n, int k, float[] a, int aOff, int lda, boolean transA, PanelSource b, float[] c,
                     int cOff, int ldc, boolean accumulate) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
            return;
        }
        int align = b.kAlign();
        int kcMax = Math.max(align, KC / align * align);
        int kBlocks = (k + kcMax - 1) / kcMax;
        // equal blocks (rounded up to the alignment) rather than full blocks and a thin remainder
        int kcEven = Math.min(kcMax, ((k + kBlocks - 1) / kBlocks + align - 1) / align * align);
        float[] bp = B_PACK.get(kcEven * NC);
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            int panels = (nc + NR - 1) / NR;
            for (int pc = 0; pc < k; pc += kcEven) {
                int kc = Math.min(kcEven, k - pc);
                int j = jc;
                int p0 = pc;
                Parallel.parallelFor(panels, (s, e) -> b.pack(j + s * NR, Math.min(nc, e * NR) - s * NR, p0, kc, bp,
                        s * NR * kc));
                multiplyBlock(m, nc, kc, a, aOff, lda, transA, p0, bp, c, cOff + jc, ldc, accumulate || pc > 0);
            }
        }
    }

    private static void multiplyBlock(int m, int nc, int kc, float[] a, int aOff, int lda, boolean transA, int p0,
                                      float[] bp, float[] c, int cOff, int ldc, boolean add) {
        int panels = (nc + NR - 1) / NR;
        int rowPanels = (m + MR - 1) / MR;
        int target = 4 * Parallel.threads();
        int rowGroups = Math.min(rowPanels, target);
        int colGroups = Math.min(panels, Math.max(1, (target + rowGroups - 1) / rowGroups));
        Parallel.parallelFor(rowGroups * colGroups, (s, e) -> {
            Scratch scratch = SCRATCH.get();
            float[] ap = scratch.a;
            for (int t = s; t < e; t++) {
                int rg = t / colGroups;
                int cg = t % colGroups;
                int q0 = (int) ((long) cg * panels / colGroups);
                int q1 = (int) ((long) (cg + 1) * panels / colGroups);
                int r1 = (int) ((long) (rg + 1) * rowPanels / rowGroups);
                for (int r = (int) ((long) rg * rowPanels / rowGroups); r < r1; r++) {
                    int i0 = r * MR;
                    int rows = Math.min(MR, m - i0);
                    packA(a, aOff, lda, transA, i0, rows, p0, kc, ap, scratch.index);
                    for (int q = q0; q < q1; q++) {
                        int j0 = q * NR;
                        int cols = Math.min(NR, nc - j0);
                        int cBase = cOff + i0 * ldc + j0;
                        if (rows == MR && cols == NR) {
                            kernel(kc, ap, bp, q * NR * kc, c, cBase, ldc, add);
                        } else {
                            float[] tile = scratch.tile;
                            kernel(kc, ap, bp, q * NR * kc, tile, 0, NR, false);
                            merge(tile, rows, cols, c, cBase, ldc, add);
                        }
                    }
                }
            }
        });
    }

    // ---- packing ----

    /**
     * A panel: {@code ap[p·MR + ii] = A(i0 + ii, p0 + p)}; rows past {@code rows} are zero or, from the
     * gather, copies of row i0 (either way only tiles through {@link #merge} see them, and drop them).
     */
    private static void packA(float[] a, int aOff, int lda, boolean transA, int i0, int rows, int p0, int kc,
                              float[] ap, int[] idx) {
        if (transA && MR <= L) {
            // a masked load per k, with the same spill-over stores as the gather below
            VectorMask<Float> live = S.indexInRange(0, rows);
            int base = aOff + p0 * lda + i0;
            for (int p = 0; p < kc; p++) {
                FloatVector.fromArray(S, a, base + p * lda, live).intoArray(ap, p * MR);
            }
            return;
        }
        if (transA) {
            for (int p = 0; p < kc; p++) {
                System.arraycopy(a, aOff + (p0 + p) * lda + i0, ap, p * MR, rows);
            }
            if (rows < MR) {
                for (int p = 0; p < kc; p++) {
                    java.util.Arrays.fill(ap, p * MR + rows, (p + 1) * MR, 0f);
                }
            }
            return;
        }
        if (MR > L) {
            for (int ii = 0; ii < MR; ii++) {
                int src = aOff + (i0 + ii) * lda + p0;
                for (int p = 0; p < kc; p++) {
                    ap[p * MR + ii] = ii < rows ? a[src + p] : 0f;
                }
            }
            return;
        }
        // one gather per k; lanes past the panel's rows read the first row again (an edge panel's
        // extra rows go through the scratch tile, whose rows past `rows` are dropped), because a
        // masked gather is not compiled to vgatherdps under AVX2 and cost a fifth of a prefill there.
        // Each store spills L - MR lanes into the next k's slot, which the next store overwrites.
        for (int ii = 0; ii < L; ii++) {
            idx[ii] = ii < rows ? ii * lda : 0;
        }
        int base = aOff + i0 * lda + p0;
        for (int p = 0; p < kc; p++) {
            FloatVector.fromArray(S, a, base + p, idx, 0).intoArray(ap, p * MR);
        }
    }

    /** Panels of op(B) stored k-major ({@code B(p, j) = b[off + p·ld + j]}): row slices copied as they are. */
    private static void packColumns(float[] b, int off, int ld, int j0, int cols, int p0, int kc, float[] dst,
                                    int dOff) {
        for (int q = 0; q * NR < cols; q++) {
            int base = dOff + q * NR * kc;
            int width = Math.min(NR, cols - q * NR);
            int src = off + p0 * ld + j0 + q * NR;
            for (int p = 0; p < kc; p++) {
                System.arraycopy(b, src + p * ld, dst, base + p * NR, width);
            }
            zeroColumns(dst, base, width, kc);
        }
    }

    /** Panels of op(B) stored n-major ({@code B(p, j) = b[off + j·ld + p]}): rows interleaved. */
    private static void packRows(float[] b, int off, int ld, int j0, int cols, int p0, int kc, float[] dst,
                                 int dOff) {
        for (int q = 0; q * NR < cols; q++) {
            interleave(b, off + (j0 + q * NR) * ld + p0, ld, Math.min(NR, cols - q * NR), kc, dst, dOff + q * NR * kc);
        }
    }

    /**
     * One panel from {@code width} rows of {@code kc} values ({@code src[o + jj·ld + p]}):
     * {@code dst[d + p·NR + jj]}, columns past {@code width} zero. Full panels gather a column of L
     * rows per vector (scalar transposing ran at about 2 ns per value); both ways step through k in
     * {@link #CHUNK}s so that the rows' cache lines stay in L1.
     */
    private static void interleave(float[] src, int o, int ld, int width, int kc, float[] dst, int d) {
        if (width == NR) {
            // a gather per half panel row: rows jj·ld apart, column p
            int[] idx = SCRATCH.get().index;
            for (int jj = 0; jj < L; jj++) {
                idx[jj] = jj * ld;
            }
            int half = o + L * ld;
            for (int p0 = 0; p0 < kc; p0 += CHUNK) {
                int p1 = Math.min(kc, p0 + CHUNK);
                for (int p = p0; p < p1; p++) {
                    FloatVector.fromArray(S, src, o + p, idx, 0).intoArray(dst, d + p * NR);
                    FloatVector.fromArray(S, src, half + p, idx, 0).intoArray(dst, d + p * NR + L);
                }
            }
            return;
        }
        for (int p0 = 0; p0 < kc; p0 += CHUNK) {
            int p1 = Math.min(kc, p0 + CHUNK);
            for (int jj = 0; jj < width; jj++) {
                int s = o + jj * ld;
                for (int p = p0; p < p1; p++) {
                    dst[d + p * NR + jj] = src[s + p];
                }
            }
        }
        zeroColumns(dst, d, width, kc);
    }

    private static void zeroColumns(float[] dst, int base, int width, int kc) {
        if (width < NR) {
            for (int p = 0; p < kc; p++) {
                java.util.Arrays.fill(dst, base + p * NR + width, base + (p + 1) * NR, 0f);
            }
        }
    }

    private static void merge(float[] tile, int rows, int cols, float[] c, int cBase, int ldc, boolean add) {
        for (int i = 0; i < rows; i++) {
            int o = cBase + i * ldc;
            for (int j = 0; j < cols; j++) {
                c[o + j] = add ? c[o + j] + tile[i * NR + j] : tile[i * NR + j];
            }
        }
    }

    // ---- micro-kernels ----
    // The accumulators start from C (or zero) and end in plain stores. Adding C after the loop
    // through a helper instead made C2 box the 24 vectors (2.6 instead of ~90 GFLOP/s on 1 thread).

    private static void kernel(int kc, float[] ap, float[] bp, int bOff, float[] c, int cOff, int ldc, boolean add) {
        if (MR == 12) {
            kernel12(kc, ap, bp, bOff, c, cOff, ldc, add);
        } else {
            kernel6(kc, ap, bp, bOff, c, cOff, ldc, add);
        }
    }

    private static void kernel12(int kc, float[] ap, float[] bp, int bOff, float[] c, int cOff, int ldc,
                                 boolean add) {
        FloatVector c00 = load(c, cOff, add);
        FloatVector c01 = load(c, cOff + L, add);
        FloatVector c10 = load(c, cOff + ldc, add);
        FloatVector c11 = load(c, cOff + ldc + L, add);
        FloatVector c20 = load(c, cOff + 2 * ldc, add);
        FloatVector c21 = load(c, cOff + 2 * ldc + L, add);
        FloatVector c30 = load(c, cOff + 3 * ldc, add);
        FloatVector c31 = load(c, cOff + 3 * ldc + L, add);
        FloatVector c40 = load(c, cOff + 4 * ldc, add);
        FloatVector c41 = load(c, cOff + 4 * ldc + L, add);
        FloatVector c50 = load(c, cOff + 5 * ldc, add);
        FloatVector c51 = load(c, cOff + 5 * ldc + L, add);
        FloatVector c60 = load(c, cOff + 6 * ldc, add);
        FloatVector c61 = load(c, cOff + 6 * ldc + L, add);
        FloatVector c70 = load(c, cOff + 7 * ldc, add);
        FloatVector c71 = load(c, cOff + 7 * ldc + L, add);
        FloatVector c80 = load(c, cOff + 8 * ldc, add);
        FloatVector c81 = load(c, cOff + 8 * ldc + L, add);
        FloatVector c90 = load(c, cOff + 9 * ldc, add);
        FloatVector c91 = load(c, cOff + 9 * ldc + L, add);
        FloatVector ca0 = load(c, cOff + 10 * ldc, add);
        FloatVector ca1 = load(c, cOff + 10 * ldc + L, add);
        FloatVector cb0 = load(c, cOff + 11 * ldc, add);
        FloatVector cb1 = load(c, cOff + 11 * ldc + L, add);
        for (int p = 0; p < kc; p++) {
            int bi = bOff + p * NR;
            int ai = p * 12;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x0 = FloatVector.broadcast(S, ap[ai]);
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
            FloatVector x4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = x4.fma(b0, c40);
            c41 = x4.fma(b1, c41);
            FloatVector x5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = x5.fma(b0, c50);
            c51 = x5.fma(b1, c51);
            FloatVector x6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = x6.fma(b0, c60);
            c61 = x6.fma(b1, c61);
            FloatVector x7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = x7.fma(b0, c70);
            c71 = x7.fma(b1, c71);
            FloatVector x8 = FloatVector.broadcast(S, ap[ai + 8]);
            c80 = x8.fma(b0, c80);
            c81 = x8.fma(b1, c81);
            FloatVector x9 = FloatVector.broadcast(S, ap[ai + 9]);
            c90 = x9.fma(b0, c90);
            c91 = x9.fma(b1, c91);
            FloatVector x10 = FloatVector.broadcast(S, ap[ai + 10]);
            ca0 = x10.fma(b0, ca0);
            ca1 = x10.fma(b1, ca1);
            FloatVector x11 = FloatVector.broadcast(S, ap[ai + 11]);
            cb0 = x11.fma(b0, cb0);
            cb1 = x11.fma(b1, cb1);
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + L);
        c10.intoArray(c, cOff + ldc);
        c11.intoArray(c, cOff + ldc + L);
        c20.intoArray(c, cOff + 2 * ldc);
        c21.intoArray(c, cOff + 2 * ldc + L);
        c30.intoArray(c, cOff + 3 * ldc);
        c31.intoArray(c, cOff + 3 * ldc + L);
        c40.intoArray(c, cOff + 4 * ldc);
        c41.intoArray(c, cOff + 4 * ldc + L);
        c50.intoArray(c, cOff + 5 * ldc);
        c51.intoArray(c, cOff + 5 * ldc + L);
        c60.intoArray(c, cOff + 6 * ldc);
        c61.intoArray(c, cOff + 6 * ldc + L);
        c70.intoArray(c, cOff + 7 * ldc);
        c71.intoArray(c, cOff + 7 * ldc + L);
        c80.intoArray(c, cOff + 8 * ldc);
        c81.intoArray(c, cOff + 8 * ldc + L);
        c90.intoArray(c, cOff + 9 * ldc);
        c91.intoArray(c, cOff + 9 * ldc + L);
        ca0.intoArray(c, cOff + 10 * ldc);
        ca1.intoArray(c, cOff + 10 * ldc + L);
        cb0.intoArray(c, cOff + 11 * ldc);
        cb1.intoArray(c, cOff + 11 * ldc + L);
    }

    private static void kernel6(int kc, float[] ap, float[] bp, int bOff, float[] c, int cOff, int ldc,
                                 boolean add) {
        FloatVector c00 = load(c, cOff, add);
        FloatVector c01 = load(c, cOff + L, add);
        FloatVector c10 = load(c, cOff + ldc, add);
        FloatVector c11 = load(c, cOff + ldc + L, add);
        FloatVector c20 = load(c, cOff + 2 * ldc, add);
        FloatVector c21 = load(c, cOff + 2 * ldc + L, add);
        FloatVector c30 = load(c, cOff + 3 * ldc, add);
        FloatVector c31 = load(c, cOff + 3 * ldc + L, add);
        FloatVector c40 = load(c, cOff + 4 * ldc, add);
        FloatVector c41 = load(c, cOff + 4 * ldc + L, add);
        FloatVector c50 = load(c, cOff + 5 * ldc, add);
        FloatVector c51 = load(c, cOff + 5 * ldc + L, add);
        for (int p = 0; p < kc; p++) {
            int bi = bOff + p * NR;
            int ai = p * 6;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x0 = FloatVector.broadcast(S, ap[ai]);
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
            FloatVector x4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = x4.fma(b0, c40);
            c41 = x4.fma(b1, c41);
            FloatVector x5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = x5.fma(b0, c50);
            c51 = x5.fma(b1, c51);
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + L);
        c10.intoArray(c, cOff + ldc);
        c11.intoArray(c, cOff + ldc + L);
        c20.intoArray(c, cOff + 2 * ldc);
        c21.intoArray(c, cOff + 2 * ldc + L);
        c30.intoArray(c, cOff + 3 * ldc);
        c31.intoArray(c, cOff + 3 * ldc + L);
        c40.intoArray(c, cOff + 4 * ldc);
        c41.intoArray(c, cOff + 4 * ldc + L);
        c50.intoArray(c, cOff + 5 * ldc);
        c51.intoArray(c, cOff + 5 * ldc + L);
    }

    private static FloatVector load(float[] c, int o, boolean add) {
        return add ? FloatVector.fromArray(S, c, o) : FloatVector.zero(S);
    }
}
