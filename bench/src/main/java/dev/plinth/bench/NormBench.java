package dev.plinth.bench;

import dev.plinth.tensor.Norms;
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
 * RMSNorm and LayerNorm over one hidden vector (single-threaded kernels). The {@link Rates}
 * counter {@code gbytes} counts bytes read and written (x, weight[, bias], out), so its rate is
 * GB/s; the primary score is normalisations per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class NormBench {
    @Param({"2048", "5632"})
    public int n;

    private float[] x;
    private float[] w;
    private float[] b;
    private float[] out;

    /** Bytes moved, as a rate: GB/s. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double gbytes;

        @Setup(Level.Iteration)
        public void reset() {
            gbytes = 0;
        }
    }

    @Setup
    public void setup() {
        x = Weights.gaussian(1, n);
        w = Weights.gaussian(2, n);
        b = Weights.gaussian(3, n);
        out = new float[n];
    }

    @Benchmark
    public float rmsNorm(Rates rates) {
        Norms.rmsNorm(out, x, w, 1e-5f);
        rates.gbytes += 12.0 * n / 1e9;
        return out[0];
    }

    @Benchmark
    public float layerNorm(Rates rates) {
        Norms.layerNorm(out, x, w, b, 1e-5f);
        rates.gbytes += 16.0 * n / 1e9;
        return out[0];
    }
}
