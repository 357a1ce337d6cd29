package dev.plinth.bench;

import dev.plinth.model.Sampler;
import dev.plinth.model.SamplingParams;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One {@link Sampler#sample} over a Qwen2-sized vocabulary (151,936 logits, Gaussian with
 * standard deviation 3, a plausible spread of real logits), per chain: greedy, llama.cpp's
 * defaults (top-k 40, top-p 0.95, min-p 0.05, temperature 0.8), top-p 0.9 without top-k (the
 * growing best-first selection), and temperature alone over the whole vocabulary, each with a
 * repeat penalty over 64 tokens of history. Microseconds per call.
 *
 * <pre>java --add-modules jdk.incubator.vector -jar bench/target/plinth-bench.jar SamplerBench</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SamplerBench {

    static final int VOCAB = 151_936;

    @Param({"greedy", "defaults", "topP", "temperature"})
    public String chain;

    private float[] logits;
    private Sampler sampler;

    @Setup
    public void setup() {
        SplittableRandom r = new SplittableRandom(1);
        logits = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            logits[i] = (float) (r.nextGaussian() * 3);
        }
        SamplingParams base = SamplingParams.DEFAULTS.withPenalties(1.1f, 0f, 0f, 64).withSeed(1);
        SamplingParams p = switch (chain) {
            case "greedy" -> base.withTemperature(0f);
            case "defaults" -> base;
            case "topP" -> base.withoutTruncation().withTopP(0.9f).withTemperature(1f);
            case "temperature" -> base.withoutTruncation().withTemperature(1f);
            default -> throw new IllegalArgumentException(chain);
        };
        sampler = new Sampler(p, VOCAB);
        for (int i = 0; i < 64; i++) {
            sampler.accept(r.nextInt(VOCAB));
        }
    }

    @Benchmark
    public int sample() {
        return sampler.sample(logits);
    }
}
