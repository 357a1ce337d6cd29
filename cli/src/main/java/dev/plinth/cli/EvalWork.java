package dev.plinth.cli;

import dev.plinth.eval.Evaluator;
import dev.plinth.eval.Task;
import dev.plinth.eval.Tasks;
import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.ModelRuntime;
import dev.plinth.product.Product;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One task of a {@code plinth eval} run as a worker on another machine redoes it: the model argument,
 * tokenizer, adapters and options as given, the task argument and data folder, and Plinth's environment variables
 * (where the product store is). {@link #score} opens the model as {@code plinth eval} does, once per
 * JVM, and scores a range of the task's items.
 */
public record EvalWork(String model, String tokenizerFile, List<String> adapters, Evaluator.Options options,
                       String task, String dataRoot, Map<String, String> environment) implements Serializable {

    public EvalWork {
        adapters = List.copyOf(adapters);
        environment = Console.forWorkers(environment);
    }

    private static final Map<EvalWork, Evaluator> EVALUATORS = new ConcurrentHashMap<>();
    private static final Map<EvalWork, Task> TASKS = new ConcurrentHashMap<>();

    /**
     * Scores items {@code [from, to)} of the task with this JVM's evaluator (opened on first use, kept open);
     * one range at a time, as the model's kernels already use every core.
     */
    public Evaluator.Scores score(int from, int to) throws IOException {
        Evaluator evaluator = evaluator();
        Task t = loadedTask();
        synchronized (evaluator) {
            return evaluator.score(t, from, to, (name, done, total, tokens) -> { });
        }
    }

    private Evaluator evaluator() throws IOException {
        EvalWork key = new EvalWork(model, tokenizerFile, adapters, options, null, null, environment);
        Evaluator e = EVALUATORS.get(key);
        if (e == null) {
            synchronized (EVALUATORS) {
                e = EVALUATORS.get(key);
                if (e == null) {
                    e = open();
                    EVALUATORS.put(key, e);
                }
            }
        }
        return e;
    }

    private Evaluator open() throws IOException {
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        Console console = new Console(nowhere, nowhere, InputStream.nullInputStream(), environment);
        List<AppliedAdapter.Spec> specs = adapters.stream().map(AppliedAdapter::parse).toList();
        Product product = Products.productOrFile(console, model);
        ModelRuntime runtime = product != null ? product.open(specs)
                : ModelRuntime.open(Path.of(model), tokenizerFile == null ? null : Path.of(tokenizerFile), specs);
        return new Evaluator(runtime, ProfileFormat.of(product, runtime), options);
    }

    private Task loadedTask() throws IOException {
        Task t = TASKS.get(this);
        if (t == null) {
            t = Tasks.resolve(task, Path.of(dataRoot));
            TASKS.putIfAbsent(this, t);
        }
        return t;
    }
}
