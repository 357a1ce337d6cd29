package dev.plinth.cli;

import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.model.DecoderModel;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Parallel;
import dev.plinth.train.MemoryReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code plinth bench}: prefill and decode speed of a decoder model, as a table like llama.cpp's
 * llama-bench prints (pp = prompt processing of {@code -p} tokens in one pass, tg = generating
 * {@code -n} tokens one at a time from an empty context; random token ids, so any weights do).
 */
@Command(name = "bench",
        description = {"Measure prefill (ppN) and decode (tgN) speed of a decoder model in tokens per second.",
                "Prints a table like llama.cpp's llama-bench: mean ± standard deviation over -r repetitions,"
                        + " after warm-up runs. Token ids are random; the weights may be random too."})
final class BenchCommand implements Callable<Integer> {

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(paramLabel = "MODEL", description = "A decoder model: .gguf file, Hugging Face folder or llama2.c .bin.")
    Path path;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", defaultValue = "512",
            description = "Prompt tokens for the prefill test (0 skips it; default ${DEFAULT-VALUE}).")
    int prompt;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", defaultValue = "128",
            description = "Tokens to generate for the decode test (0 skips it; default ${DEFAULT-VALUE}).")
    int generate;

    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "Compute threads (default: all processors, or the plinth.threads system property).")
    Integer threads;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "N", defaultValue = "5",
            description = "Timed repetitions per test (default ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = {"-w", "--warmup"}, paramLabel = "N", defaultValue = "1",
            description = "Untimed runs per test before the timed ones, for the JIT (default ${DEFAULT-VALUE}).")
    int warmup;

    @Spec
    CommandSpec spec;

    BenchCommand(Console console) {
        this.console = console;
    }

    /** One test's result: tokens per second of each timed repetition. */
    record Result(String test, double[] tokensPerSecond) {
        double mean() {
            double s = 0;
            for (double v : tokensPerSecond) {
                s += v;
            }
            return s / tokensPerSecond.length;
        }

        /** Sample standard deviation (0 for a single repetition). */
        double stddev() {
            int n = tokensPerSecond.length;
            if (n < 2) {
                return 0;
            }
            double m = mean();
            double s = 0;
            for (double v : tokensPerSecond) {
                s += (v - m) * (v - m);
            }
            return Math.sqrt(s / (n - 1));
        }
    }

    /** What the table says about the model. */
    record ModelFacts(String name, long bytes, long parameters, String dtype) {
    }

    @Override
    public Integer call() throws IOException {
        validate();
        int t = configureThreads();
        ModelFacts facts = facts(path);
        List<Result> results = new ArrayList<>();
        try (DecoderModel model = DecoderModel.open(path)) {
            SplittableRandom rnd = new SplittableRandom(42);
            Duration cold = firstToken(model, rnd);
            console.debug("cold start to first token: %.3f s (process start to the logits of a 1-token prompt)",
                    cold.toNanos() / 1e9);
            if (prompt > 0) {
                results.add(measure("pp" + prompt, () -> prefill(model, rnd)));
            }
            if (generate > 0) {
                results.add(measure("tg" + generate, () -> decode(model, rnd)));
            }
            table(facts, t, results).forEach(console.out()::println);
            console.out().printf(Locale.ROOT, "cold start to first token: %.3f s%n", cold.toNanos() / 1e9);
        }
        long peak = MemoryReport.peakRssBytes();
        if (peak > 0) {
            console.out().printf("peak RSS: %d bytes (%s)%n", peak, TextFormat.bytes(peak));
        }
        return Main.OK;
    }

    private void validate() {
        if (prompt < 0 || generate < 0 || (prompt == 0 && generate == 0)) {
            throw new ParameterException(spec.commandLine(), "-p and -n must be >= 0 and not both 0");
        }
        if (repetitions < 1) {
            throw new ParameterException(spec.commandLine(), "-r must be at least 1, was " + repetitions);
        }
        if (warmup < 0) {
            throw new ParameterException(spec.commandLine(), "-w must be >= 0, was " + warmup);
        }
        if (threads != null && threads < 1) {
            throw new ParameterException(spec.commandLine(), "-t must be at least 1, was " + threads);
        }
    }

    /** The pool reads plinth.threads once, when first used; set it before that. */
    private int configureThreads() {
        if (threads != null) {
            System.setProperty("plinth.threads", Integer.toString(threads));
        }
        int actual = Parallel.threads();
        if (threads != null && actual != threads) {
            console.warn("the compute pool already runs %d threads; -t %d ignored", actual, threads);
        }
        return actual;
    }

    private interface Run {
        /** Runs the test once and returns the seconds its timed part took. */
        double seconds();
    }

    private Result measure(String test, Run run) {
        int tokens = test.startsWith("pp") ? prompt : generate;
        for (int i = 0; i < warmup; i++) {
            double s = run.seconds();
            console.debug("%s warm-up %d: %.1f tok/s", test, i + 1, tokens / s);
        }
        double[] tps = new double[repetitions];
        for (int i = 0; i < repetitions; i++) {
            tps[i] = tokens / run.seconds();
            console.debug("%s run %d: %.2f tok/s", test, i + 1, tps[i]);
        }
        return new Result(test, tps);
    }

    private double prefill(DecoderModel model, SplittableRandom rnd) {
        int[] tokens = randomTokens(rnd, prompt, model.vocabSize());
        DecoderModel.Session s = model.newSession(prompt);
        long start = System.nanoTime();
        model.forward(s, tokens);
        return (System.nanoTime() - start) / 1e9;
    }

    private double decode(DecoderModel model, SplittableRandom rnd) {
        DecoderModel.Session s = model.newSession(generate);
        float[] logits = new float[model.vocabSize()];
        int[] step = {rnd.nextInt(model.vocabSize())};
        long start = System.nanoTime();
        for (int i = 0; i < generate; i++) {
            model.forward(s, step, logits);
            step[0] = DecoderModel.argmax(logits);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Time from process start to the logits of a one-token prompt: JVM start, model load and one step. */
    private static Duration firstToken(DecoderModel model, SplittableRandom rnd) {
        model.forward(model.newSession(1), new int[] {rnd.nextInt(model.vocabSize())});
        return ProcessClock.sinceStart();
    }

    private static int[] randomTokens(SplittableRandom rnd, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(vocab);
        }
        return t;
    }

    static ModelFacts facts(Path path) throws IOException {
        try (ModelFile f = ModelFiles.open(path)) {
            long bytes = 0;
            long params = 0;
            Map<DType, Long> byType = new EnumMap<>(DType.class);
            for (ModelFile.TensorInfo t : f.tensorInfos()) {
                bytes += t.byteSize();
                params += t.elementCount();
                byType.merge(t.dtype(), t.byteSize(), Long::sum);
            }
            String name = f.metadata().get("general.name") instanceof String s ? s
                    : f.architecture().orElse(path.getFileName().toString());
            return new ModelFacts(name, Files.isRegularFile(path) ? Files.size(path) : bytes, params, dtypes(byType));
        }
    }

    /** The dtypes holding the weights, largest share first ("Q4_K+Q6_K"), F32 norms left out of mixes. */
    static String dtypes(Map<DType, Long> byType) {
        List<Map.Entry<DType, Long>> list = new ArrayList<>(byType.entrySet());
        if (list.size() > 1) {
            list.removeIf(e -> e.getKey() == DType.F32);
        }
        list.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        List<String> names = new ArrayList<>();
        for (Map.Entry<DType, Long> e : list) {
            names.add(e.getKey().name());
        }
        return String.join("+", names);
    }

    /** The llama-bench-like table: one row per test. */
    static List<String> table(ModelFacts m, int threads, List<Result> results) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"model", "size", "params", "dtype", "threads", "test", "t/s"});
        for (Result r : results) {
            rows.add(new String[] {m.name(), TextFormat.bytes(m.bytes()), TextFormat.approximate(m.parameters()),
                    m.dtype(), Integer.toString(threads), r.test(),
                    String.format(Locale.ROOT, "%.2f ± %.2f", r.mean(), r.stddev())});
        }
        return markdown(rows);
    }

    private static List<String> markdown(List<String[]> rows) {
        int cols = rows.get(0).length;
        int[] width = new int[cols];
        for (String[] r : rows) {
            for (int c = 0; c < cols; c++) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            out.add(line(rows.get(i), width));
            if (i == 0) {
                String[] rule = new String[cols];
                for (int c = 0; c < cols; c++) {
                    // numbers right-aligned, as llama-bench does
                    rule[c] = c >= 1 && c != 3 && c != 5 ? "-".repeat(width[c] - 1) + ":" : "-".repeat(width[c]);
                }
                out.add(line(rule, width));
            }
        }
        return out;
    }

    private static String line(String[] cells, int[] width) {
        StringBuilder b = new StringBuilder("|");
        for (int c = 0; c < cells.length; c++) {
            b.append(' ').append(cells[c]).append(" ".repeat(width[c] - cells[c].length())).append(" |");
        }
        return b.toString();
    }
}
