package dev.plinth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.plinth.eval.Estimate;
import dev.plinth.eval.Evaluator;
import dev.plinth.eval.Task;
import dev.plinth.io.AtomicFiles;
import dev.plinth.product.Product;
import dev.plinth.product.Store;
import dev.plinth.product.audit.Audit;
import dev.plinth.product.audit.AuditReport;
import dev.plinth.product.audit.AuditTree;
import dev.plinth.product.audit.EvalCache;
import dev.plinth.product.audit.HtmlReport;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth audit}: the same tasks on a base and every product built on it, and what each inherited. */
@Command(name = "audit",
        description = {"Audit a lineage tree: run the same tasks on ROOT (a product, or a GGUF base file) and on every",
                "product of the store that descends from it; write audit.json and report.html (plots of every",
                "metric per node and of each node's change against its parent, failures marked inherited,",
                "introduced or fixed) to --out, and add each product's results to it as an audit layer.",
                "Results are cached by (model, task): auditing again evaluates only what is new."})
final class AuditCommand implements Callable<Integer> {

    /** The tasks of an audit without --tasks. */
    static final List<String> DEFAULT_TASKS = List.of("arc-easy", "piqa", "winogrande", "lambada", "truthfulqa-mc",
            "crows-pairs", "bbq", "winobias");

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "ROOT", description = "A product NAME[:TAG] of the store, or a GGUF base file.")
    String root;

    @Option(names = "--tasks", split = ",", paramLabel = "T[,T...]",
            description = "Tasks, as for plinth eval (default: arc-easy, piqa, winogrande, lambada, truthfulqa-mc, crows-pairs, bbq, winobias).")
    List<String> tasks;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "audit",
            description = "Where audit.json and report.html go (default: ${DEFAULT-VALUE}).")
    Path out;

    @Mixin
    EvalOptions evaluation;

    @Option(names = "--no-layer", description = "Do not add the results to the products as audit layers.")
    boolean noLayer;

    @Spec
    CommandSpec spec;

    AuditCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        Evaluator.Options options = evaluation.options(spec);
        List<Task> suite = evaluation.tasks(spec, console, tasks == null ? DEFAULT_TASKS : tasks);
        Store store = Products.store(console);
        AuditTree tree;
        try {
            tree = AuditTree.of(store, root);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        console.info("auditing %d node(s) below %s on %d task(s)", tree.nodes().size(), tree.root().label(), suite.size());
        AuditReport report = new Audit(new ProfileOpener(), EvalCache.of(store), options, new AuditListener(console)).run(tree, suite);

        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Files.createDirectories(out);
        write(out.resolve("audit.json"), json.writeValueAsBytes(report.toJson(json)));
        write(out.resolve("report.html"), HtmlReport.render(report).getBytes(StandardCharsets.UTF_8));
        printTable(console.out(), report);
        if (!noLayer) {
            ObjectMapper compact = new ObjectMapper();
            for (AuditReport.NodeResults n : report.nodes()) {
                Product p = n.node().product();
                if (p != null) {
                    Product audited = p.withAudit(compact.writeValueAsBytes(report.layerJson(compact, n)));
                    console.info("audit layer added to %s (%s -> %s)", audited.name(), p.digest().shortHex(), audited.digest().shortHex());
                }
            }
        }
        console.info("report: %s, %s", out.resolve("audit.json"), out.resolve("report.html"));
        return Main.OK;
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        AtomicFiles.write(file, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    /** The audit table: per node and metric the value, its change against the parent, and the task's failures by origin. */
    static void printTable(PrintStream out, AuditReport report) {
        out.println("| node | task | metric | value | Δ parent | failing | inherited | introduced | fixed |");
        out.println("|---|---|---|---:|---:|---:|---:|---:|---:|");
        for (AuditReport.NodeResults n : report.nodes()) {
            String indent = "  ".repeat(n.node().depth());
            List<AuditReport.Change> changes = report.changes(n);
            for (AuditReport.Failures f : report.failures(n)) {
                var result = n.results().get(f.task());
                boolean first = true;
                for (var m : result.metrics().entrySet()) {
                    AuditReport.Change c = changes.stream().filter(x -> x.task().equals(f.task()) && x.metric().equals(m.getKey()))
                            .findFirst().orElse(null);
                    String failures = first && n.node().parent() != null
                            ? f.failing() + " | " + f.inherited().size() + " | " + f.introduced().size() + " | " + f.fixed().size()
                            : (first ? f.failing() + " | | |" : "| | |");
                    out.printf(Locale.ROOT, "| %s%s | %s | %s | %s | %s | %s |%n", indent, n.node().label(), f.task(), m.getKey(),
                            value(m.getValue()), c == null ? "" : delta(c), failures);
                    first = false;
                }
            }
        }
    }

    private static String value(Estimate e) {
        return EvalCommand.number(e.value()) + (Double.isFinite(e.stderr()) ? " ± " + EvalCommand.number(e.stderr()) : "");
    }

    private static String delta(AuditReport.Change c) {
        String sign = c.delta() >= 0 ? "+" : "";
        String mark = switch (c.verdict()) {
            case BETTER -> " ▲";
            case WORSE -> " ▼";
            case SAME -> "";
        };
        return sign + EvalCommand.number(c.delta()) + mark;
    }
}
