package dev.plinth.cli;

import dev.plinth.model.convert.QuantType;
import dev.plinth.model.convert.RandomModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth dev}: tools for developers and benchmark scripts (hidden from the main help). */
@Command(name = "dev", hidden = true, description = "Developer tools for tests and benchmarks.",
        subcommands = DevCommand.RandomModel.class)
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
}
