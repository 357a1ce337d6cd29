package dev.plinth.bench;

import dev.plinth.model.BertModel;
import dev.plinth.model.Pooling;
import dev.plinth.io.safetensors.SafetensorsWriter;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sentence embeddings with a MiniLM-L6-shaped encoder (384 hidden, 6 layers, 12 heads, 1536 FFN;
 * seeded random F32 weights written as a Hugging Face folder): one batch of {@code sentences}
 * sequences of {@code tokens} tokens each. Tokens per second = sentences × tokens / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class BertEncoderBench {
    static final int HIDDEN = 384;
    static final int LAYERS = 6;
    static final int FFN = 1536;
    static final int VOCAB = 30522;

    @Param({"32"})
    int sentences;

    @Param({"16", "128"})
    int tokens;

    Path dir;
    BertModel model;
    List<int[]> batch;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("plinth-bert-bench");
        Random rnd = new Random(42);
        List<Tensor> ts = new ArrayList<>();
        ts.add(random(rnd, "embeddings.word_embeddings.weight", VOCAB, HIDDEN));
        ts.add(random(rnd, "embeddings.position_embeddings.weight", 512, HIDDEN));
        ts.add(random(rnd, "embeddings.token_type_embeddings.weight", 2, HIDDEN));
        ts.add(random(rnd, "embeddings.LayerNorm.weight", HIDDEN));
        ts.add(random(rnd, "embeddings.LayerNorm.bias", HIDDEN));
        for (int l = 0; l < LAYERS; l++) {
            String p = "encoder.layer." + l + ".";
            for (String lin : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense")) {
                ts.add(random(rnd, p + lin + ".weight", HIDDEN, HIDDEN));
                ts.add(random(rnd, p + lin + ".bias", HIDDEN));
            }
            ts.add(random(rnd, p + "intermediate.dense.weight", FFN, HIDDEN));
            ts.add(random(rnd, p + "intermediate.dense.bias", FFN));
            ts.add(random(rnd, p + "output.dense.weight", HIDDEN, FFN));
            ts.add(random(rnd, p + "output.dense.bias", HIDDEN));
            for (String ln : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
                ts.add(random(rnd, p + ln + ".weight", HIDDEN));
                ts.add(random(rnd, p + ln + ".bias", HIDDEN));
            }
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), ts, Map.of());
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "bert", "vocab_size": %d, "hidden_size": %d, "num_hidden_layers": %d,
                 "num_attention_heads": 12, "intermediate_size": %d, "max_position_embeddings": 512,
                 "type_vocab_size": 2, "layer_norm_eps": 1e-12}
                """.formatted(VOCAB, HIDDEN, LAYERS, FFN));
        model = BertModel.load(dir);
        batch = new ArrayList<>();
        for (int s = 0; s < sentences; s++) {
            int[] ids = new int[tokens];
            for (int t = 0; t < tokens; t++) {
                ids[t] = rnd.nextInt(VOCAB);
            }
            batch.add(ids);
        }
    }

    static Tensor random(Random rnd, String name, int... shape) {
        int n = 1;
        long[] dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            n *= shape[i];
            dims[i] = shape[i];
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * 0.05);
        }
        return Tensor.ofFloats(name, v, dims);
    }

    @Benchmark
    public float[][] embedBatch() {
        return model.embed(batch, Pooling.MEAN, true);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        model.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }
}
