package dev.plinth.bench;

import dev.plinth.tensor.DType;
import dev.plinth.tensor.MatMul;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
 * Decode-time matrix-vector products {@code y = W·x} at TinyLlama-1.1B shapes, one weight type
 * per run, weights in native memory (as when memory-mapped).
 *
 * <p>Besides the primary score (operations per second), the {@link Rates} auxiliary counters
 * report {@code gflop} (2·n·k per product, so its rate is GFLOP/s) and {@code gbytes} (weight
 * bytes streamed per product, so its rate is GB/s); compare GB/s with the machine's streaming
 * bandwidth and GFLOP/s across types. Kernels use all threads of Plinth's pool; pass
 * {@code -jvmArgsAppend "--add-modules=jdk.incubator.vector -Dplinth.threads=1"} for single-thread
 * figures.
 *
 * <p>{@link #stream} reads the same weight bytes on one thread without multiplying them: with a
 * matrix larger than the caches ({@code -p shape=262144x2048}, 570 MB in Q8_0) it is the rate a
 * one-thread decode could stream at, beside the kernel's own rate from memory and, with the default
 * shapes, from the caches.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class MatVecBench {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    @Param({"2048x2048", "5632x2048"})
    public String shape;

    private Arena arena;
    private Tensor w;
    private float[] x;
    private float[] y;
    double flopsPerOp;
    double bytesPerOp;

    @Setup
    public void setup() {
        int[] s = Weights.shape(shape);
        arena = Arena.ofShared();
        w = Weights.matrix(DType.valueOf(type), s[0], s[1], arena);
        x = Weights.gaussian(1, s[1]);
        y = new float[s[0]];
        flopsPerOp = 2.0 * s[0] * s[1] / 1e9;
        bytesPerOp = w.byteSize() / 1e9;
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float matvec(Rates rates) {
        MatMul.matvec(w, x, y);
        rates.gflop += flopsPerOp;
        rates.gbytes += bytesPerOp;
        return y[0];
    }

    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;

    @Benchmark
    public long stream(Rates rates) {
        MemorySegment seg = w.data();
        long step = LONGS.vectorByteSize();
        LongVector sum = LongVector.zero(LONGS);
        for (long p = 0; p + step <= seg.byteSize(); p += step) {
            sum = sum.add(LongVector.fromMemorySegment(LONGS, seg, p, ByteOrder.LITTLE_ENDIAN));
        }
        rates.gbytes += bytesPerOp;
        return sum.reduceLanes(VectorOperators.ADD);
    }
}
