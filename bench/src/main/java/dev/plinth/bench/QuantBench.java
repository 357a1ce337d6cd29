package dev.plinth.bench;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.plinth.tensor.DType;
import dev.plinth.tensor.Quantization;

/**
 * Single-thread dequantization throughput per storage type ({@link Quantization#dequantize}).
 *
 * <p>Each operation decodes {@value #ELEMENTS} elements (quantized from normal data) into a float
 * array; both stay in L2, so this measures decoding, not memory. The secondary results are
 * {@link AuxCounters}, reported by JMH per second: {@code quantizedBytes} is the GB/s of quantized
 * bytes read (divide by 1e9), {@code elements} the floats written per second. The primary score
 * is operations per second; quantizedBytes = ops/s x (bytes of {@value #ELEMENTS} elements).
 *
 * <p>The decoders are Vector API code, which is only fast once C2 has compiled it (interpreted, it
 * boxes every vector and runs about a thousand times slower). On a busy machine that takes several
 * seconds, so a run with one-second warm-up ({@code -wi 1 -w 1s}) can report interpreter speed;
 * use the defaults or at least {@code -wi 4 -w 3s}.
 *
 * <pre>java --add-modules jdk.incubator.vector -jar bench/target/plinth-bench.jar QuantBench</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class QuantBench {

    static final int ELEMENTS = 1 << 14;

    @Param({"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    public String type;

    private DType dtype;
    private MemorySegment quantized;
    private float[] out;

    /** Per-second counters JMH reports next to the primary score. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        public long quantizedBytes;
        public long elements;

        @Setup(Level.Iteration)
        public void reset() {
            quantizedBytes = 0;
            elements = 0;
        }
    }

    @Setup
    public void setUp() {
        dtype = DType.valueOf(type);
        Random r = new Random(1);
        float[] x = new float[ELEMENTS];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        quantized = MemorySegment.ofArray(new byte[(int) dtype.byteSize(ELEMENTS)]);
        Quantization.quantize(dtype, x, 0, ELEMENTS, quantized, 0);
        out = new float[ELEMENTS];
    }

    @Benchmark
    public float[] dequantize(Counters counters) {
        Quantization.dequantize(dtype, quantized, 0, out, 0, ELEMENTS);
        counters.quantizedBytes += quantized.byteSize();
        counters.elements += ELEMENTS;
        return out;
    }
}
