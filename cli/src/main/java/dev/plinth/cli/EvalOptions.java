package dev.plinth.cli;

import dev.plinth.eval.Evaluator;
import dev.plinth.eval.Task;
import dev.plinth.eval.Tasks;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** How {@code eval} and {@code audit} run their tasks (a picocli mixin). */
final class EvalOptions {

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "Score only the first N items of each task; 0: all (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--shots", paramLabel = "K", defaultValue = "0",
            description = "Few-shot examples before each item, drawn from the task's other rows (default: ${DEFAULT-VALUE}).")
    int shots;

    @Option(names = {"-c", "--ctx"}, paramLabel = "N", defaultValue = "0",
            description = "Most tokens the model reads per request (longer inputs lose their start); 0: the model's context, capped at 4096.")
    int context;

    @Option(names = "--data", paramLabel = "DIR",
            description = "The folder of the built-in tasks' data (default: $PLINTH_DATA, else ../shared/data).")
    Path data;

    @Option(names = "--batch-tokens", paramLabel = "N", defaultValue = "512",
            description = "Tokens per pass through the model (default: ${DEFAULT-VALUE}).")
    int batchTokens;

    @Option(names = "--bootstrap", paramLabel = "N", defaultValue = "1000",
            description = "Bootstrap replicates for standard errors that have no closed form (default: ${DEFAULT-VALUE}).")
    int bootstrap;

    /** The evaluator's options; a bad value is a usage error. */
    Evaluator.Options options(CommandSpec spec) {
        return Usage.check(spec, () -> new Evaluator.Options(limit, shots, context, batchTokens, bootstrap, 1234));
    }

    /** The folder of the built-in tasks' data: --data, else the default. */
    Path dataRoot(Console console) {
        return data != null ? data : Tasks.defaultDataRoot(console.environment());
    }

    /** Resolves task arguments against --data (else the default data folder); an unknown name is a usage error. */
    List<Task> tasks(CommandSpec spec, Console console, List<String> names) throws IOException {
        Path root = dataRoot(console);
        List<Task> loaded = new ArrayList<>();
        for (String name : names) {
            if (name.isBlank()) {
                continue;
            }
            try {
                loaded.add(Tasks.resolve(name.strip(), root));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        if (loaded.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--tasks names no task");
        }
        return loaded;
    }
}
