package dev.plinth.product.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.eval.Estimate;
import dev.plinth.eval.Evaluator;
import dev.plinth.eval.Task;
import dev.plinth.eval.TaskResult;
import dev.plinth.product.Digest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an audit found: each node's results, each metric's change against the node's parent, and
 * each failing item marked <b>inherited</b> (it fails in the parent too), <b>introduced</b> (it
 * passes in the parent) or, for items the parent fails and the node passes, <b>fixed</b>. A change
 * counts as better or worse when it exceeds twice the standard error of the difference
 * ({@code √(se² + se_parent²)}; any change when a standard error is unknown).
 */
public final class AuditReport {

    /** One node's results, its evaluation digest, and which came from the cache. */
    public record NodeResults(AuditTree.Node node, Digest model, Map<String, TaskResult> results, Map<String, Boolean> cached) {
    }

    /** Whether a change is beyond noise, and which way. */
    public enum Verdict { BETTER, WORSE, SAME }

    /** A metric against the parent's. */
    public record Change(String task, String metric, double value, double parent, double delta, double stderr, Verdict verdict) {
    }

    /** A task's failing items on a node, by where each failure comes from (all "own" on the root). */
    public record Failures(String task, int failing, List<String> inherited, List<String> introduced, List<String> fixed) {
    }

    /** A probe on a node: passes, fails (on the root), inherited, introduced or fixed. */
    public record ProbeStatus(String task, String name, String check, String status, String output) {
    }

    /** Item ids listed per kind of failure in JSON; the count is always complete. */
    private static final int LISTED = 50;

    private final AuditTree tree;
    private final List<Task> tasks;
    private final Evaluator.Options options;
    private final List<NodeResults> nodes;
    private final Map<AuditTree.Node, NodeResults> byNode = new HashMap<>();
    private final Instant created = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    public AuditReport(AuditTree tree, List<Task> tasks, Evaluator.Options options, List<NodeResults> nodes) {
        this.tree = tree;
        this.tasks = List.copyOf(tasks);
        this.options = options;
        this.nodes = List.copyOf(nodes);
        nodes.forEach(n -> byNode.put(n.node(), n));
    }

    public AuditTree tree() {
        return tree;
    }

    public List<Task> tasks() {
        return tasks;
    }

    public List<NodeResults> nodes() {
        return nodes;
    }

    public Instant created() {
        return created;
    }

    /** The results of {@code node}'s parent, or null for the root. */
    public NodeResults parentOf(NodeResults node) {
        return node.node().parent() == null ? null : byNode.get(node.node().parent());
    }

    /** Every metric of every task against the parent's (none for the root). */
    public List<Change> changes(NodeResults node) {
        return changes(node, parentOf(node));
    }

    /** Every metric of every task {@code node} and {@code parent} both have, against the parent's. */
    static List<Change> changes(NodeResults node, NodeResults parent) {
        List<Change> out = new ArrayList<>();
        if (parent == null) {
            return out;
        }
        for (Map.Entry<String, TaskResult> e : node.results().entrySet()) {
            TaskResult theirs = parent.results().get(e.getKey());
            if (theirs == null) {
                continue;
            }
            for (Map.Entry<String, Estimate> m : e.getValue().metrics().entrySet()) {
                Estimate p = theirs.metrics().get(m.getKey());
                if (p != null) {
                    out.add(change(e.getKey(), m.getKey(), m.getValue(), p));
                }
            }
        }
        return out;
    }

    static Change change(String task, String metric, Estimate value, Estimate parent) {
        double delta = value.value() - parent.value();
        double se = Math.sqrt(value.stderr() * value.stderr() + parent.stderr() * parent.stderr());
        boolean beyond = Double.isNaN(se) ? delta != 0 && !Double.isNaN(delta) : Math.abs(delta) > 2 * se;
        Verdict v = !beyond ? Verdict.SAME
                : (delta > 0) == TaskResult.higherIsBetter(metric) ? Verdict.BETTER : Verdict.WORSE;
        return new Change(task, metric, value.value(), parent.value(), delta, se, v);
    }

    /** Each task's failing items on {@code node}, marked against its parent. */
    public List<Failures> failures(NodeResults node) {
        return failures(node, parentOf(node));
    }

    static List<Failures> failures(NodeResults node, NodeResults parent) {
        List<Failures> out = new ArrayList<>();
        for (Map.Entry<String, TaskResult> e : node.results().entrySet()) {
            Map<String, Boolean> theirs = new HashMap<>();
            TaskResult p = parent == null ? null : parent.results().get(e.getKey());
            if (p != null) {
                p.items().forEach(i -> theirs.put(i.id(), i.passed()));
            }
            int failing = 0;
            List<String> inherited = new ArrayList<>();
            List<String> introduced = new ArrayList<>();
            List<String> fixed = new ArrayList<>();
            for (TaskResult.ItemResult i : e.getValue().items()) {
                if (i.passed() == null) {
                    continue;
                }
                Boolean before = theirs.get(i.id());
                if (!i.passed()) {
                    failing++;
                    if (before != null) {
                        (before ? introduced : inherited).add(i.id());
                    }
                } else if (Boolean.FALSE.equals(before)) {
                    fixed.add(i.id());
                }
            }
            out.add(new Failures(e.getKey(), failing, inherited, introduced, fixed));
        }
        return out;
    }

    /** Every probe of every probe task on {@code node}, with its status against the parent. */
    public List<ProbeStatus> probes(NodeResults node) {
        NodeResults parent = parentOf(node);
        List<ProbeStatus> out = new ArrayList<>();
        for (Map.Entry<String, TaskResult> e : node.results().entrySet()) {
            if (!e.getValue().kind().equals("probes")) {
                continue;
            }
            Map<String, Boolean> theirs = new HashMap<>();
            TaskResult p = parent == null ? null : parent.results().get(e.getKey());
            if (p != null) {
                p.items().forEach(i -> theirs.put(i.id(), i.passed()));
            }
            for (TaskResult.ItemResult i : e.getValue().items()) {
                Boolean before = theirs.get(i.id());
                String status = Boolean.TRUE.equals(i.passed())
                        ? (Boolean.FALSE.equals(before) ? "fixed" : "passes")
                        : before == null ? "fails" : before ? "introduced" : "inherited";
                String check = i.label() == null ? "" : i.label().substring(i.label().indexOf(": ") + 2);
                out.add(new ProbeStatus(e.getKey(), i.id(), check, status, i.output()));
            }
        }
        return out;
    }

    /** {@code audit.json}: the audit's settings and tasks, and every node. */
    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode doc = header(json);
        ArrayNode list = doc.putArray("nodes");
        nodes.forEach(n -> list.add(nodeJson(json, n)));
        return doc;
    }

    /** The audit layer of one product: the audit's settings and tasks, and that node. */
    public ObjectNode layerJson(ObjectMapper json, NodeResults node) {
        ObjectNode doc = header(json);
        doc.set("node", nodeJson(json, node));
        return doc;
    }

    private ObjectNode header(ObjectMapper json) {
        ObjectNode doc = json.createObjectNode();
        doc.put("schemaVersion", 1);
        doc.put("root", tree.root().label());
        doc.put("created", created.toString());
        ObjectNode o = doc.putObject("options");
        o.put("limit", options.limit());
        o.put("shots", options.shots());
        o.put("maxLength", options.maxLength());
        o.put("bootstrap", options.bootstrapIterations());
        ArrayNode t = doc.putArray("tasks");
        for (Task task : tasks) {
            t.addObject().put("name", task.name()).put("digest", task.digest()).put("kind", task.definition().kind().label());
        }
        return doc;
    }

    ObjectNode nodeJson(ObjectMapper json, NodeResults n) {
        ObjectNode o = json.createObjectNode();
        AuditTree.Node node = n.node();
        o.put("name", node.label());
        if (node.product() != null) {
            o.put("digest", node.product().digest().toString());
            o.put("lineageDigest", node.product().lineageDigest().toString());
        } else {
            o.put("file", node.file().toString());
        }
        o.put("evaluation", n.model().toString());
        if (node.parent() == null) {
            o.putNull("parent");
        } else {
            o.put("parent", node.parent().label());
        }
        o.put("depth", node.depth());
        ObjectNode results = o.putObject("results");
        n.results().forEach((task, r) -> {
            ObjectNode t = r.toJson(json);
            t.remove("outcomes");
            t.put("cached", n.cached().getOrDefault(task, false));
            results.set(task, t);
        });
        ArrayNode changes = o.putArray("changes");
        for (Change c : changes(n)) {
            ObjectNode x = changes.addObject().put("task", c.task()).put("metric", c.metric());
            number(x, "value", c.value());
            number(x, "parent", c.parent());
            number(x, "delta", c.delta());
            number(x, "stderr", c.stderr());
            x.put("verdict", c.verdict().name().toLowerCase(java.util.Locale.ROOT));
        }
        ArrayNode failures = o.putArray("failures");
        for (Failures f : failures(n)) {
            ObjectNode x = failures.addObject().put("task", f.task()).put("failing", f.failing());
            x.put("inherited", f.inherited().size());
            ids(x, "introduced", f.introduced());
            ids(x, "fixed", f.fixed());
        }
        ArrayNode probes = o.putArray("probes");
        for (ProbeStatus p : probes(n)) {
            probes.addObject().put("task", p.task()).put("name", p.name()).put("check", p.check()).put("status", p.status())
                    .put("output", p.output());
        }
        return o;
    }

    private static void ids(ObjectNode x, String field, List<String> ids) {
        x.put(field, ids.size());
        ArrayNode list = x.putArray(field + "Items");
        ids.stream().limit(LISTED).forEach(list::add);
    }

    private static void number(ObjectNode o, String field, double v) {
        if (Double.isFinite(v)) {
            o.put(field, v);
        } else {
            o.putNull(field);
        }
    }

    /** Results of every node by label, for tables. */
    public Map<String, NodeResults> byLabel() {
        Map<String, NodeResults> m = new LinkedHashMap<>();
        nodes.forEach(n -> m.put(n.node().label(), n));
        return m;
    }
}
