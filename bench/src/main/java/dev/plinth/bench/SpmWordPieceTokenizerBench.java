package dev.plinth.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding 16 KiB of TinyStories text: Plinth's SentencePiece BPE (Llama-2 vocabulary from GGUF)
 * and WordPiece (bert-base-uncased tokenizer.json) against Hugging Face tokenizers (Rust, via DJL)
 * on the same files. Needs the shared data ({@code -Dplinth.shared=.../shared}). Score: ms per text.
 * Run: {@code java -jar bench/target/plinth-bench.jar SpmWordPieceTokenizerBench}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class SpmWordPieceTokenizerBench {
    private String text;
    private Tokenizer plinthSpm;
    private Tokenizer plinthWordPiece;
    private HuggingFaceTokenizer hfSpm;
    private HuggingFaceTokenizer hfWordPiece;
    private Path tmp;

    @Setup
    public void setup() throws IOException {
        Path data = Path.of(System.getProperty("plinth.shared", "../shared")).resolve("data");
        String all = Files.readString(data.resolve("tinystories/tinystories-train-sample.txt"), StandardCharsets.UTF_8);
        text = all.substring(0, Math.min(all.length(), 16 * 1024));
        tmp = Files.createTempDirectory("plinth-tok-bench");
        Path spmJson = tmp.resolve("llama-spm.json");
        try (GgufFile gguf = GgufFile.open(data.resolve("tokenizer-vectors/ggml-vocab-llama-spm.gguf"))) {
            plinthSpm = Tokenizers.fromGguf(gguf);
            Tokenizers.writeSpmTokenizerJson(gguf, spmJson);
        }
        Path bertJson = data.resolve("models/bert-tiniest/tokenizer.json");
        plinthWordPiece = Tokenizers.fromTokenizerJson(bertJson);
        Map<String, String> options = Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false");
        hfSpm = HuggingFaceTokenizer.newInstance(spmJson, options);
        hfWordPiece = HuggingFaceTokenizer.newInstance(bertJson, options);
    }

    @TearDown
    public void tearDown() throws IOException {
        hfSpm.close();
        hfWordPiece.close();
        try (var files = Files.list(tmp)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(tmp);
    }

    @Benchmark
    public int plinthSpm() {
        return plinthSpm.encode(text, false, false).length;
    }

    @Benchmark
    public int hfSpm() {
        return hfSpm.encode(text, false, false).getIds().length;
    }

    @Benchmark
    public int plinthWordPiece() {
        return plinthWordPiece.encode(text, false, false).length;
    }

    @Benchmark
    public int hfWordPiece() {
        return hfWordPiece.encode(text, false, false).getIds().length;
    }
}
