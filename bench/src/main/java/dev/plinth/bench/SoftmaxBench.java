package dev.plinth.bench;

import dev.plinth.tensor.Activations;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Softmax in place over attention-score rows, and SwiGLU over a TinyLlama feed-forward vector.
 * The {@link Rates} counter {@code gelems} counts elements processed, so its rate is
 * Gelements/s; the primary score is calls per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class SoftmaxBench {
    @Param({"256", "2048"})
    public int len;

    private float[] x;
    private float[] work;
    private float[] gate;
    private float[] up;
    private float[] out;

    /** Elements processed, as a rate. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double gelems;

        @Setup(Level.Iteration)
        public void reset() {
            gelems = 0;
        }
    }

    @Setup
    public void setup() {
        x = Weights.gaussian(1, len);
        work = new float[len];
        gate = Weights.gaussian(2, 5632);
        up = Weights.gaussian(3, 5632);
        out = new float[5632];
    }

    @Benchmark
    public float softmax(Rates rates) {
        System.arraycopy(x, 0, work, 0, len);
        Activations.softmax(work, 0, len);
        rates.gelems += len / 1e9;
        return work[0];
    }

    /** SwiGLU over 5632 elements (len unused). */
    @Benchmark
    public float swiglu(Rates rates) {
        Activations.swiglu(out, 0, gate, 0, up, 0, 5632);
        rates.gelems += 5632 / 1e9;
        return out[0];
    }
}
