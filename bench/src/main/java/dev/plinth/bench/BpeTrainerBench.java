package dev.plinth.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.text.BpeTrainer;
import dev.plinth.text.ByteLevelBpeTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Wall time of {@link BpeTrainer} on the shared prose and code mix (TinyStories, Brown, Moby-Dick,
 * HumanEval, MBPP; one document per story, text or record), GPT-2 pre-tokenizer, three special
 * tokens, at a few vocabulary sizes, on one thread and on all cores. One warm-up run first.
 *
 * <pre>
 * java -cp bench/target/plinth-bench.jar dev.plinth.bench.BpeTrainerBench \
 *     [-Dplinth.shared=../shared] [-Dbench.vocab=2000,8000,32000]
 * </pre>
 */
public final class BpeTrainerBench {
    private static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    private BpeTrainerBench() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(System.getProperty("plinth.shared", "../shared")).toAbsolutePath().normalize().resolve("data");
        List<String> docs = documents(data);
        long bytes = 0;
        for (String d : docs) {
            bytes += d.getBytes(StandardCharsets.UTF_8).length;
        }
        System.out.printf(Locale.ROOT, "corpus: %d documents, %.2f MB%n", docs.size(), bytes / 1e6);
        train(docs, 2000, 0);
        System.out.println("| vocab | threads | seconds | MB/s |");
        System.out.println("|---|---|---|---|");
        for (String v : System.getProperty("bench.vocab", "2000,8000,32000").split(",")) {
            for (int threads : new int[] {1, Runtime.getRuntime().availableProcessors()}) {
                double s = train(docs, Integer.parseInt(v.trim()), threads);
                System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2f |%n", v.trim(), threads, s, bytes / 1e6 / s);
            }
        }
    }

    private static double train(List<String> docs, int vocab, int threads) {
        long t0 = System.nanoTime();
        ByteLevelBpeTokenizer tok = new BpeTrainer(vocab, "gpt-2", SPECIALS, threads, null).train(docs);
        if (tok.vocabSize() > vocab) {
            throw new IllegalStateException("vocabulary larger than asked");
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static List<String> documents(Path data) throws IOException {
        List<String> docs = new ArrayList<>();
        for (String story : Files.readString(data.resolve("tinystories/tinystories-train-sample.txt")).split("\n\n")) {
            docs.add(story);
        }
        for (String chapter : Files.readString(data.resolve("moby-dick/moby-dick.txt")).split("\n\n\n")) {
            docs.add(chapter);
        }
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(data.resolve("brown/brown.jsonl"))) {
            docs.add(json.readTree(line).path("text").asText());
        }
        for (String line : Files.readAllLines(data.resolve("humaneval/HumanEval.jsonl"))) {
            var n = json.readTree(line);
            docs.add(n.path("prompt").asText() + n.path("canonical_solution").asText());
        }
        return docs;
    }
}
