package dev.plinth.cli;

import dev.plinth.io.AtomicFiles;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.convert.QuantType;
import dev.plinth.model.convert.RandomModels;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth dev}: tools for developers and benchmark scripts (hidden from the main help). */
@Command(name = "dev", hidden = true, description = "Developer tools for tests and benchmarks.",
        subcommands = {DevCommand.RandomModel.class, DevCommand.AotTraining.class})
final class DevCommand implements Callable<Integer> {
    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    DevCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing dev command");
    }

    /** {@code plinth dev random-model}: a seeded random-weight GGUF shaped like a published model. */
    @Command(name = "random-model", description = {"Write a seeded random-weight llama GGUF shaped like a "
            + "published model, with a synthetic SentencePiece vocabulary of its size, for benchmarks."})
    static final class RandomModel implements Callable<Integer> {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @Option(names = "--preset", required = true, paramLabel = "NAME",
                description = "smollm2-135m or tinyllama-1.1b.")
        String preset;

        @Option(names = "--type", paramLabel = "TYPE", defaultValue = "q8_0",
                description = "f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k_m, q5_k_m or q6_k (default: ${DEFAULT-VALUE}).")
        String type;

        @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Parameters(paramLabel = "OUT", description = "The GGUF file to write.")
        Path out;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            RandomModels.Preset p;
            QuantType t;
            try {
                p = RandomModels.Preset.parse(preset);
                t = QuantType.parse(type);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            RandomModels.builder(p).type(t).seed(seed).writeGguf(out);
            return Main.OK;
        }
    }

    /**
     * {@code plinth dev aot-training}: the short workload the launcher records the JVM's AOT cache from
     * (JEP 483/515: classes loaded and linked, method profiles), so later starts skip that work. Small
     * random models of the common weight types, each run and benchmarked through the command line as a
     * user would, so the cache holds the classes and the kernels' profiles a cold {@code run} needs.
     */
    @Command(name = "aot-training", description = {"Run the short workload the launcher records the JVM's "
            + "AOT cache from: small random models of each common weight type, run and benchmarked."})
    static final class AotTraining implements Callable<Integer> {
        private static final List<QuantType> TYPES = List.of(QuantType.Q8_0, QuantType.Q4_0, QuantType.Q4_K_M,
                QuantType.F16);
        /** Rows of 256 so the K-quant types keep their own kernels (a shorter row falls back to another type). */
        private static final DecoderConfig SHAPE = DecoderConfig.builder("llama").hiddenSize(256).layers(2).heads(4)
                .kvHeads(2).ffnSize(512).vocabSize(512).contextLength(256).build();

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @Override
        public Integer call() throws IOException {
            Path dir = Files.createTempDirectory("plinth-aot");
            try {
                for (QuantType type : TYPES) {
                    Path model = dir.resolve(type.name() + ".gguf");
                    RandomModels.builder(SHAPE).type(type).seed(1).writeGguf(model);
                    exercise("run", model.toString(), "Once upon a time", "-n", "16", "--seed", "1", "-q");
                    exercise("bench", model.toString(), "-p", "64", "-n", "16", "-r", "3");
                }
            } finally {
                AtomicFiles.deleteTree(dir);
            }
            return Main.OK;
        }

        /** One command line, its output dropped: only what it loads and runs matters here. */
        private static void exercise(String... args) {
            PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
            int code = Main.run(args, sink, sink, InputStream.nullInputStream(), Map.of());
            if (code != Main.OK) {
                throw new IllegalStateException("AOT training step failed (exit " + code + "): " + String.join(" ", args));
            }
        }
    }
}
