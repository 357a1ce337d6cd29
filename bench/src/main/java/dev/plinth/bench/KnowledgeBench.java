package dev.plinth.bench;

import dev.plinth.knowledge.Hit;
import dev.plinth.knowledge.KnowledgeBase;
import dev.plinth.knowledge.KnowledgeEmbedder;
import dev.plinth.knowledge.KnowledgeEval;
import dev.plinth.knowledge.SearchMode;
import dev.plinth.model.OnnxReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Knowledge base benchmarks, run by {@code bench/knowledge-bench.sh}; each prints markdown rows.
 * <pre>
 * KnowledgeBench embed HOME TEXTFILE COUNT    sentences/s of Plinth's encoder and of ONNX Runtime on the
 *                                             same all-MiniLM-L6-v2 file and token ids (run with -Dplinth.threads=N;
 *                                             ONNX Runtime gets the same N intra-op threads)
 * KnowledgeBench query HOME NAME QUESTIONS    query latency p50/p99 per mode over a knowledge base
 * </pre>
 */
public final class KnowledgeBench {
    private static final int WARMUP_SECONDS = 10;

    private KnowledgeBench() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "embed" -> embed(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]));
            case "query" -> query(Path.of(args[1]), args[2], Path.of(args[3]));
            default -> throw new IllegalArgumentException("embed or query, not " + args[0]);
        }
    }

    /** Sentences of a text file (split after . ! ?), 3 words or more, the first {@code count}. */
    static List<String> sentences(Path file, int count) throws Exception {
        List<String> out = new ArrayList<>();
        for (String s : Pattern.compile("(?<=[.!?])\\s+").split(Files.readString(file).replaceAll("\\s+", " "))) {
            if (s.split(" ").length >= 3) {
                out.add(s.strip());
            }
            if (out.size() == count) {
                break;
            }
        }
        return out;
    }

    static void embed(Path home, Path textFile, int count) throws Exception {
        int threads = dev.plinth.tensor.Parallel.threads();
        try (KnowledgeEmbedder e = KnowledgeEmbedder.openDefault(home);
             OnnxReference ort = new OnnxReference(e.modelPath(), threads)) {
            List<String> texts = new ArrayList<>(sentences(textFile, count));
            // both sorted by length, as sentence-transformers batches: ONNX Runtime pads the least
            texts.sort(Comparator.comparingInt(t -> e.tokenIds(t).length));
            List<int[]> ids = texts.stream().map(e::tokenIds).toList();
            long tokens = ids.stream().mapToLong(x -> x.length).sum();
            double[] rates = rates(texts.size(), () -> e.embed(texts, n -> { }), () -> ort.embed(ids));
            double plinth = rates[0];
            double reference = rates[1];
            System.out.printf(Locale.ROOT, "| %d sentences, %d tokens (mean %.1f) | %d | %.1f | %.1f | %.2f |%n", texts.size(), tokens,
                    tokens / (double) texts.size(), threads, plinth, reference, plinth / reference);
        }
    }

    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }

    /**
     * Items per second of each of two works: both warmed up for {@value #WARMUP_SECONDS} s, then timed
     * in alternation five times, the best of each kept, so that load from other processes on a shared
     * machine falls on both alike.
     */
    static double[] rates(int items, Work first, Work second) throws Exception {
        for (Work w : List.of(first, second)) {
            long warm = System.nanoTime() + WARMUP_SECONDS * 1_000_000_000L;
            do {
                w.run();
            } while (System.nanoTime() < warm);
        }
        double[] best = new double[2];
        for (int i = 0; i < 5; i++) {
            best[0] = Math.max(best[0], rate(items, first));
            best[1] = Math.max(best[1], rate(items, second));
        }
        return best;
    }

    private static double rate(int items, Work work) throws Exception {
        long t0 = System.nanoTime();
        work.run();
        return items / ((System.nanoTime() - t0) / 1e9);
    }

    static void query(Path home, String name, Path questionsFile) throws Exception {
        List<String> questions = KnowledgeEval.read(questionsFile).stream().map(KnowledgeEval.Question::question).toList();
        try (KnowledgeBase kb = KnowledgeBase.open(KnowledgeBase.folder(home, name));
             KnowledgeEmbedder e = KnowledgeEmbedder.open(kb.settings().embedder(), home)) {
            int chunks = kb.chunks();
            for (SearchMode mode : SearchMode.values()) {
                long warm = System.nanoTime() + WARMUP_SECONDS * 1_000_000_000L;
                for (int i = 0; System.nanoTime() < warm; i++) {
                    kb.search(e, questions.get(i % questions.size()), 5, mode);
                }
                int rounds = 5;
                double[] ms = new double[questions.size() * rounds];
                int n = 0;
                for (int r = 0; r < rounds; r++) {
                    for (String q : questions) {
                        long t0 = System.nanoTime();
                        List<Hit> hits = kb.search(e, q, 5, mode);
                        ms[n++] = (System.nanoTime() - t0) / 1e6;
                        if (hits.isEmpty() && mode != SearchMode.BM25) {
                            throw new IllegalStateException("no hit for " + q);
                        }
                    }
                }
                Arrays.sort(ms);
                System.out.printf(Locale.ROOT, "| %s | %d | %d | %.2f | %.2f |%n", mode.label(), chunks, ms.length,
                        percentile(ms, 0.50), percentile(ms, 0.99));
            }
        }
    }

    /** The nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
