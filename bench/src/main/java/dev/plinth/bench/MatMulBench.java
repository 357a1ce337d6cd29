package dev.plinth.bench;

import dev.plinth.tensor.DType;
import dev.plinth.tensor.MatMul;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Batched products: prefill {@code Y[128, n] = X[128, k] · W^T} with weights of each type at
 * TinyLlama's 2048x2048 shape, and the plain F32 GEMM {@code C = A·B^T} with m = n = k = size.
 *
 * <p>The {@link Rates} auxiliary counters report {@code gflop} (2·m·n·k per product: its rate is
 * GFLOP/s) and {@code gbytes} (weight bytes per product: its rate is GB/s). Kernels use all
 * threads of Plinth's pool; pass {@code -jvmArgsAppend -Dplinth.threads=1} for one thread.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatMulBench {
    private static final int PREFILL = 128;

    /** A 2048x2048 weight of one type and 128 activation rows. */
    @State(Scope.Benchmark)
    public static class Prefill {
        @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
        public String type;

        Arena arena;
        Tensor w;
        float[] x;
        float[] y;

        @Setup
        public void setup() {
            arena = Arena.ofShared();
            w = Weights.matrix(DType.valueOf(type), 2048, 2048, arena);
            x = Weights.gaussian(1, PREFILL * 2048);
            y = new float[PREFILL * 2048];
        }

        @TearDown
        public void tearDown() {
            arena.close();
        }
    }

    /** Square F32 operands. */
    @State(Scope.Benchmark)
    public static class Square {
        @Param({"1024", "2048"})
        public int size;

        float[] a;
        float[] b;
        float[] c;

        @Setup
        public void setup() {
            a = Weights.gaussian(2, size * size);
            b = Weights.gaussian(3, size * size);
            c = new float[size * size];
        }
    }

    /** Prefill of 128 tokens through one 2048x2048 weight. */
    @Benchmark
    public float prefill(Prefill p, Rates rates) {
        MatMul.matmul(p.w, p.x, PREFILL, p.y);
        rates.gflop += 2.0 * PREFILL * 2048 * 2048 / 1e9;
        rates.gbytes += p.w.byteSize() / 1e9;
        return p.y[0];
    }

    /** F32 GEMM C = A·B^T, m = n = k = size. */
    @Benchmark
    public float gemm(Square s, Rates rates) {
        MatMul.gemm(s.a, s.b, s.c, s.size, s.size, s.size);
        rates.gflop += 2.0 * s.size * s.size * s.size / 1e9;
        rates.gbytes += 4.0 * s.size * s.size / 1e9;
        return s.c[0];
    }
}
