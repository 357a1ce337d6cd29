package dev.plinth.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.plinth.LlamaCppLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Quantized products against llama.cpp's own CPU kernels (the variant of {@code libggml-cpu} that
 * {@link LlamaCppLibrary#cpuBackend()} pins, AVX2 by default), called through java.lang.foreign:
 * the activation type paired with each weight type, the activation quants and scales bit for bit,
 * and each output of {@link MatMul#matvec}/{@link MatMul#matmul} against ggml's {@code vec_dot} on
 * the same row, within float rounding of the final scaled sum
 * ({@code 2e-6 · Σ|d·dy·q·y|}, the order of those additions being the only difference).
 */
class GgmlVecDotConformanceTest {
    private static final Linker LINKER = Linker.nativeLinker();

    /** ggml's CPU type traits: {@code { from_float; vec_dot; enum ggml_type vec_dot_type; int64_t nrows; }}. */
    record Traits(MethodHandle fromFloat, MethodHandle vecDot, DType vecDotType) {
    }

    private static SymbolLookup cpuLibrary() throws Throwable {
        SymbolLookup l = LlamaCppLibrary.cpuBackend();
        LINKER.downcallHandle(l.find("ggml_cpu_init").orElseThrow(), FunctionDescriptor.ofVoid()).invokeExact();
        return l;
    }

    private static Traits traits(DType type) throws Throwable {
        SymbolLookup l = cpuLibrary();
        MethodHandle of = LINKER.downcallHandle(l.find("ggml_get_type_traits_cpu").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MemorySegment t = ((MemorySegment) of.invokeExact(type.ggmlId())).reinterpret(32);
        DType act = DType.fromGgmlId(t.get(ValueLayout.JAVA_INT, 16));
        MemorySegment at = ((MemorySegment) of.invokeExact(act.ggmlId())).reinterpret(32);
        MethodHandle fromFloat = LINKER.downcallHandle(at.get(ValueLayout.ADDRESS, 0),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        MethodHandle vecDot = LINKER.downcallHandle(t.get(ValueLayout.ADDRESS, 8),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        return new Traits(fromFloat, vecDot, act);
    }

    private static float[] activations(Random rnd, int count, int kind) {
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            x[i] = switch (kind) {
                case 0 -> (float) rnd.nextGaussian();
                // outliers, as in real hidden states, and exact ties x·127/max = n + 1/2
                case 1 -> (float) (rnd.nextGaussian() * (rnd.nextInt(50) == 0 ? 40 : 1));
                default -> (rnd.nextInt(4) - 2) * 0.5f + (i % 32 == 0 ? 127 : 0);
            };
        }
        if (kind == 2) {
            java.util.Arrays.fill(x, 0, Math.min(count, 32), 0f); // an all-zero block
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void activationsAndProductsMatchGgml(DType type) throws Throwable {
        Traits t = traits(type);
        assertEquals(t.vecDotType(), Q8Activations.typeFor(type), "activation type llama.cpp pairs with " + type);
        GgmlMatrices ggml = new GgmlMatrices();
        Random rnd = new Random(5000 + type.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (int c = 0; c < 9; c++) {
                int k = type.blockSize() * (1 + rnd.nextInt(type.blockSize() == 256 ? 4 : 12));
                int n = 1 + rnd.nextInt(7);
                float[] w = activations(rnd, n * k, 0);
                MemorySegment weights = ggml.quantize(type, w, n, k);
                float[] x = activations(rnd, k, c % 3);
                MemorySegment xn = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
                MemorySegment xq = arena.allocate(t.vecDotType().byteSize(k), 64);
                t.fromFloat().invokeExact(xn, xq, (long) k);
                Q8Activations ours = Q8Activations.quantize(t.vecDotType(), x, 0, 1, k);
                assertSameActivations(type + " k=" + k + " case " + c, xq, ours);

                MemorySegment wn = arena.allocate(weights.byteSize(), 64);
                wn.copyFrom(weights);
                MemorySegment result = arena.allocate(4, 4);
                float[] y = new float[n];
                MatMul.matvec(new Tensor("w", type, new long[] {n, k}, wn), x, y);
                float[] decoded = ggml.dequantize(type, weights, n * k);
                long rowBytes = type.byteSize(k);
                for (int r = 0; r < n; r++) {
                    t.vecDot().invokeExact(k, result, 0L, wn.asSlice(r * rowBytes, rowBytes), 0L, xq, 0L, 1);
                    float expected = result.get(ValueLayout.JAVA_FLOAT, 0);
                    double mag = 0;
                    for (int i = 0; i < k; i++) {
                        mag += Math.abs((double) decoded[r * k + i] * ours.q[i] * ours.d[i / (type.blockSize() == 256 ? 256 : 32)]);
                    }
                    double tol = 2e-6 * mag + 1e-30;
                    if (!(Math.abs(y[r] - expected) <= tol)) {
                        fail(type + " k=" + k + " case " + c + " row " + r + ": plinth " + y[r] + " ggml " + expected + " (tolerance " + tol + ")");
                    }
                }
                // batched: each activation row gives exactly what matvec gives it
                int m = 2 + rnd.nextInt(4);
                float[] xm = activations(rnd, m * k, 1);
                System.arraycopy(x, 0, xm, k, k);
                float[] ym = new float[m * n];
                MatMul.matmul(new Tensor("w", type, new long[] {n, k}, wn), xm, m, ym);
                assertEquals(java.util.Arrays.toString(y), java.util.Arrays.toString(java.util.Arrays.copyOfRange(ym, n, 2 * n)),
                        type + " matmul row 1 vs matvec");
            }
        }
    }

    private static void assertSameActivations(String what, MemorySegment ggml, Q8Activations ours) {
        int k = ours.k;
        switch (ours.type) {
            case Q8_0, Q8_1 -> {
                int bytes = ours.type == DType.Q8_0 ? 34 : 36;
                int qsAt = ours.type == DType.Q8_0 ? 2 : 4;
                for (int b = 0; b < k / 32; b++) {
                    assertEquals(Float.float16ToFloat(ggml.get(LittleEndian.SHORT, (long) bytes * b)), ours.d[b], what + " d of block " + b);
                    if (ours.type == DType.Q8_1) {
                        assertEquals(Float.float16ToFloat(ggml.get(LittleEndian.SHORT, (long) bytes * b + 2)), ours.sums[b], what + " s of block " + b);
                    }
                    for (int j = 0; j < 32; j++) {
                        assertEquals(ggml.get(ValueLayout.JAVA_BYTE, (long) bytes * b + qsAt + j), ours.q[32 * b + j], what + " q " + (32 * b + j));
                    }
                }
            }
            case Q8_K -> {
                for (int b = 0; b < k / 256; b++) {
                    long p = 292L * b;
                    assertEquals(ggml.get(LittleEndian.FLOAT, p), ours.d[b], what + " d of block " + b);
                    for (int j = 0; j < 256; j++) {
                        assertEquals(ggml.get(ValueLayout.JAVA_BYTE, p + 4 + j), ours.q[256 * b + j], what + " q " + (256 * b + j));
                    }
                    if (ours.d[b] != 0) { // ggml leaves the sums of an all-zero block unwritten
                        for (int g = 0; g < 16; g++) {
                            assertEquals(ggml.get(LittleEndian.SHORT, p + 260 + 2 * g), ours.sums[16 * b + g], what + " bsum " + g);
                        }
                    }
                }
            }
            default -> fail("activation type " + ours.type);
        }
    }
}
