package dev.plinth.bench;

import dev.plinth.tensor.Rope;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * RoPE for one decode step at TinyLlama's shape (32 query heads of 64): the angle tables for a
 * position, and the rotation in each layout. Scores are calls per second; at 32·64 floats per
 * rotation, bytes per second are 2·4·2048 times the score.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class RopeBench {
    private static final int HEADS = 32;
    private static final int HEAD_DIM = 64;

    private float[] q;
    private final float[] cos = new float[HEAD_DIM / 2];
    private final float[] sin = new float[HEAD_DIM / 2];
    private int pos;

    @Setup
    public void setup() {
        q = Weights.gaussian(1, HEADS * HEAD_DIM);
        Rope.angles(17, HEAD_DIM, 10000, null, cos, sin);
    }

    @Benchmark
    public float angles() {
        pos = (pos + 1) & 4095;
        Rope.angles(pos, HEAD_DIM, 10000, null, cos, sin);
        return cos[1];
    }

    @Benchmark
    public float interleaved() {
        Rope.rotateInterleaved(q, 0, HEADS, HEAD_DIM, HEAD_DIM, cos, sin);
        return q[0];
    }

    @Benchmark
    public float neox() {
        Rope.rotateNeox(q, 0, HEADS, HEAD_DIM, HEAD_DIM, cos, sin);
        return q[0];
    }
}
