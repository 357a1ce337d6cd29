package dev.plinth.product.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.eval.Estimate;
import dev.plinth.eval.Evaluator;
import dev.plinth.eval.Task;
import dev.plinth.eval.TaskFormatException;
import dev.plinth.eval.Tasks;
import dev.plinth.product.Plinthfile;
import dev.plinth.product.Product;
import dev.plinth.product.ProductCreator;
import dev.plinth.product.ProductException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The AUDIT gates of a Plinthfile, checked by evaluating the product {@code plinth create} is making
 * (and its parent, for no-regression; both through the {@link EvalCache}). A threshold gate compares
 * the product's metric with a number; {@code no-regression} fails when a metric of the task is worse
 * than the parent's by more than twice the standard error of the difference, or when a probe that
 * passes in the parent fails in the product. A product that fails a gate is refused with every
 * failing gate named; one that passes stores the audit as its audit layer.
 */
public final class AuditGates implements ProductCreator.Gatekeeper {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ModelOpener opener;
    private final EvalCache cache;
    private final Path dataRoot;
    private final Evaluator.Options options;
    private final Audit.Listener listener;

    public AuditGates(ModelOpener opener, EvalCache cache, Path dataRoot, Evaluator.Options options, Audit.Listener listener) {
        this.opener = opener;
        this.cache = cache;
        this.dataRoot = dataRoot;
        this.options = options;
        this.listener = listener;
    }

    @Override
    public byte[] check(Product candidate, Product parent, Plinthfile plinthfile) throws IOException {
        List<Plinthfile.Gate> gates = plinthfile.gates();
        Map<String, Task> tasks = new LinkedHashMap<>();
        for (Plinthfile.Gate g : gates) {
            if (!tasks.containsKey(g.task())) {
                try {
                    tasks.put(g.task(), Tasks.resolve(g.task(), dataRoot));
                } catch (IllegalArgumentException | TaskFormatException e) {
                    throw plinthfile.error(g.at(), e.getMessage());
                }
            }
            if (g.noRegression() && parent == null) {
                throw plinthfile.error(g.at(), "AUDIT no-regression compares with the parent product, and FROM names a file");
            }
        }
        boolean needParent = gates.stream().anyMatch(Plinthfile.Gate::noRegression);
        AuditTree tree = AuditTree.of(candidate, needParent ? parent : null);
        Audit audit = new Audit(opener, cache, options, listener);
        List<AuditReport.NodeResults> results = new ArrayList<>();
        for (AuditTree.Node n : tree.nodes()) {
            results.add(audit.evaluate(n, List.copyOf(tasks.values())));
        }
        AuditReport report = new AuditReport(tree, List.copyOf(tasks.values()), options, results);
        AuditReport.NodeResults mine = results.getLast();
        AuditReport.NodeResults theirs = needParent ? results.getFirst() : null;

        List<String> failed = new ArrayList<>();
        ObjectNode doc = report.layerJson(JSON, mine);
        ArrayNode record = doc.putArray("gates");
        for (Plinthfile.Gate g : gates) {
            String name = tasks.get(g.task()).name();
            String problem = g.noRegression() ? regression(mine, theirs, name) : threshold(plinthfile, g, mine, name);
            record.addObject().put("gate", g.describe()).put("line", g.at().line()).put("passed", problem == null);
            if (problem != null) {
                failed.add(g.describe() + " (line " + g.at().line() + "): " + problem);
            }
        }
        if (!failed.isEmpty()) {
            throw new ProductException(candidate.name() + " fails " + (failed.size() == 1 ? "a gate" : failed.size() + " gates")
                    + " of " + plinthfile.file() + ", so it is not stored: " + String.join("; ", failed));
        }
        return JSON.writeValueAsBytes(doc);
    }

    /** Why a threshold gate fails, or null when it passes. */
    private static String threshold(Plinthfile pf, Plinthfile.Gate g, AuditReport.NodeResults mine, String task) {
        Estimate e = mine.results().get(task).metrics().get(g.metric());
        if (e == null) {
            throw pf.error(g.at(), "task " + task + " has no metric " + g.metric() + "; it reports "
                    + String.join(", ", mine.results().get(task).metricNames()));
        }
        if (g.passes(e.value())) {
            return null;
        }
        return g.metric() + " is " + number(e.value()) + (Double.isFinite(e.stderr()) ? " ± " + number(e.stderr()) : "");
    }

    /** Why a no-regression gate fails, or null when it passes. */
    private static String regression(AuditReport.NodeResults mine, AuditReport.NodeResults parent, String task) {
        List<String> worse = new ArrayList<>();
        for (AuditReport.Change c : AuditReport.changes(mine, parent)) {
            if (c.task().equals(task) && c.verdict() == AuditReport.Verdict.WORSE) {
                worse.add(c.metric() + " went from " + number(c.parent()) + " to " + number(c.value())
                        + (Double.isFinite(c.stderr()) ? " (beyond twice the standard error of the difference, "
                        + number(c.stderr()) + ")" : ""));
            }
        }
        if (mine.results().get(task).kind().equals("probes")) {
            for (AuditReport.Failures f : AuditReport.failures(mine, parent)) {
                if (f.task().equals(task) && !f.introduced().isEmpty()) {
                    boolean one = f.introduced().size() == 1;
                    worse.add("probe" + (one ? " " : "s ") + String.join(", ", f.introduced()) + (one ? " passes in " : " pass in ")
                            + parent.node().label() + (one ? " and fails here" : " and fail here"));
                }
            }
        }
        return worse.isEmpty() ? null : String.join(", ", worse);
    }

    private static String number(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "-";
    }
}
