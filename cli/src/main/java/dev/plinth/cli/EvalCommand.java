package dev.plinth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.eval.Estimate;
import dev.plinth.eval.Evaluator;
import dev.plinth.eval.PromptFormat;
import dev.plinth.eval.Task;
import dev.plinth.eval.TaskResult;
import dev.plinth.io.AtomicFiles;
import dev.plinth.model.ModelRuntime;
import dev.plinth.product.Product;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth eval}: tasks scored as lm-evaluation-harness scores them, on a model file or a product. */
@Command(name = "eval",
        description = {"Evaluate a model or product on tasks: multiple-choice and loglikelihood tasks, perplexity on text,",
                "bias probes and user probes, with lm-evaluation-harness's metrics and a standard error for each.",
                "A task is a built-in name (" + "arc-easy, arc-challenge, mmlu-redux, piqa, boolq, openbookqa, commonsenseqa,",
                "copa, siqa, winogrande, lambada, truthfulqa-mc, truthfulqa-mc2, crows-pairs, bbq, winobias), a .task",
                "definition file, a .jsonl file of probes, or a text file or folder (perplexity in rolling windows)."})
final class EvalCommand implements Callable<Integer> {
    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "MODEL",
            description = "A GGUF file, a Hugging Face folder, a llama2.c checkpoint (with --tokenizer), or a product NAME[:TAG].")
    String model;

    @Option(names = "--tasks", split = ",", required = true, paramLabel = "T[,T...]",
            description = "Tasks to run, in order (repeatable, or comma-separated).")
    List<String> tasks;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write every metric and item outcome to FILE as JSON.")
    Path json;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "The tokenizer to use instead of the model's.")
    Path tokenizerFile;

    @Mixin
    EvalOptions evaluation;

    @Mixin
    AdapterOptions adapters;

    @Spec
    CommandSpec spec;

    EvalCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        Evaluator.Options options = evaluation.options(spec);
        List<Task> loaded = evaluation.tasks(spec, console, tasks);
        Product product = Products.productOrFile(console, model);
        if (product != null && tokenizerFile != null) {
            throw new ParameterException(spec.commandLine(), "--tokenizer applies to model files; a product runs with its base's tokenizer");
        }
        List<TaskResult> results = new ArrayList<>();
        try (ModelRuntime runtime = product != null ? product.open(adapters.specs())
                : ModelRuntime.open(Path.of(model), tokenizerFile, adapters.specs())) {
            AdapterOptions.report(console, runtime);
            PromptFormat format = ProfileFormat.of(product, runtime);
            if (format.chat()) {
                console.info("%s has a profile: each context is a user turn rendered with its template", model);
            }
            Evaluator evaluator = new Evaluator(runtime, format, options);
            Usage.check(spec, evaluator::maxLength);
            List<String> taskNames = tasks.stream().filter(t -> !t.isBlank()).map(String::strip).toList();
            for (int i = 0; i < loaded.size(); i++) {
                EvalWork work = new EvalWork(model, tokenizerFile == null ? null : tokenizerFile.toString(), adapters.adapters,
                        options, taskNames.get(i), evaluation.dataRoot(console).toAbsolutePath().toString(), console.environment());
                results.add(run(console, evaluator, loaded.get(i), work));
            }
        }
        printTable(console.out(), results);
        if (json != null) {
            writeJson(json, model, results);
            console.info("results written to %s", json);
        }
        return Main.OK;
    }

    /**
     * Runs one task with a progress bar (items/s, ETA) and a closing line with the tokens read per second;
     * where the console's {@link ScaleOut} says ({@code work} tells a worker how to redo it).
     */
    static TaskResult run(Console console, Evaluator evaluator, Task task, EvalWork work) throws IOException {
        ProgressMeter meter = new ProgressMeter(console, task.name(), 0, ProgressMeter.Unit.COUNT);
        TaskResult r = console.scaleOut().evaluate(evaluator, task, work, (name, done, total, tokens) -> {
            meter.total(total);
            meter.update(done);
        });
        meter.finish();
        console.info("%s: %d items, %,d tokens in %.1f s (%.0f tokens/s)", task.name(), r.size(), r.tokens(), r.seconds(),
                r.tokens() / Math.max(1e-9, r.seconds()));
        return r;
    }

    /** One markdown row per metric, then per group of the tasks that report groups. */
    static void printTable(PrintStream out, List<TaskResult> results) {
        out.println("| task | items | metric | value | stderr |");
        out.println("|---|---:|---|---:|---:|");
        for (TaskResult r : results) {
            rows(out, r.task(), r.size(), r.metrics());
            for (Map.Entry<String, Map<String, Estimate>> g : r.groups().entrySet()) {
                rows(out, r.task() + " [" + g.getKey() + "]", -1, g.getValue());
            }
        }
    }

    private static void rows(PrintStream out, String task, int items, Map<String, Estimate> metrics) {
        for (Map.Entry<String, Estimate> m : metrics.entrySet()) {
            out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", task, items < 0 ? "" : Integer.toString(items), m.getKey(),
                    number(m.getValue().value()), number(m.getValue().stderr()));
        }
    }

    static String number(double x) {
        if (Double.isNaN(x)) {
            return "-";
        }
        return Math.abs(x) >= 1000 ? String.format(Locale.ROOT, "%.1f", x) : String.format(Locale.ROOT, "%.4f", x);
    }

    private static void writeJson(Path file, String model, List<TaskResult> results) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode doc = mapper.createObjectNode();
        doc.put("model", model);
        ArrayNode list = doc.putArray("results");
        results.forEach(r -> list.add(r.toJson(mapper)));
        byte[] bytes = mapper.writeValueAsBytes(doc);
        AtomicFiles.write(file, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(bytes)));
    }
}
