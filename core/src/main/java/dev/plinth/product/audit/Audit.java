package dev.plinth.product.audit;

import dev.plinth.eval.Evaluator;
import dev.plinth.eval.Task;
import dev.plinth.eval.TaskResult;
import dev.plinth.product.Digest;
import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.ModelRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one suite of tasks on every node of an {@link AuditTree}, parents first, taking what the
 * {@link EvalCache} already holds for a node's (evaluation digest, task key) and evaluating only the
 * rest, so auditing again after adding a product evaluates only the new node.
 *
 * <pre>{@code
 * AuditTree tree = AuditTree.of(store, "base");
 * AuditReport report = new Audit(opener, EvalCache.of(store), options, Audit.Listener.NONE).run(tree, tasks);
 * }</pre>
 */
public final class Audit {

    /** Hears what the audit does: each node and task as it starts, whether it was cached, and the evaluation's progress. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        default void task(AuditTree.Node node, Task task, boolean cached) {
        }

        default Evaluator.Progress progress() {
            return Evaluator.Progress.NONE;
        }

        default void finished(AuditTree.Node node, Task task, TaskResult result) {
        }
    }

    private final ModelOpener opener;
    private final EvalCache cache;
    private final Evaluator.Options options;
    private final Listener listener;

    public Audit(ModelOpener opener, EvalCache cache, Evaluator.Options options, Listener listener) {
        this.opener = opener;
        this.cache = cache;
        this.options = options;
        this.listener = listener;
    }

    /** Evaluates (or takes from the cache) every task on every node. */
    public AuditReport run(AuditTree tree, List<Task> tasks) throws IOException {
        List<AuditReport.NodeResults> results = new ArrayList<>();
        for (AuditTree.Node node : tree.nodes()) {
            results.add(evaluate(node, tasks));
        }
        return new AuditReport(tree, tasks, options, results);
    }

    /** One node's results: each task from the cache, or evaluated on the node opened once. */
    public AuditReport.NodeResults evaluate(AuditTree.Node node, List<Task> tasks) throws IOException {
        Digest model = node.product() != null ? EvaluationDigest.of(node.product()) : EvaluationDigest.of(node.file());
        int maxLength = options.maxLength() > 0 ? options.maxLength()
                : defaultLength(node.product() != null ? node.product().weightsFile() : node.file());
        Map<String, TaskResult> results = new LinkedHashMap<>();
        Map<String, Boolean> cached = new LinkedHashMap<>();
        ModelOpener.Opened opened = null;
        try {
            for (Task task : tasks) {
                String key = EvalCache.taskKey(task, options, maxLength);
                Optional<TaskResult> hit = cache.get(model, key);
                listener.task(node, task, hit.isPresent());
                TaskResult result;
                if (hit.isPresent()) {
                    result = hit.get();
                } else {
                    opened = opened != null ? opened : open(node);
                    result = new Evaluator(opened.runtime(), opened.format(), options.withMaxLength(maxLength))
                            .run(task, listener.progress());
                    cache.put(model, key, result);
                }
                listener.finished(node, task, result);
                results.put(task.name(), result);
                cached.put(task.name(), hit.isPresent());
            }
        } finally {
            if (opened != null) {
                opened.close();
            }
        }
        return new AuditReport.NodeResults(node, model, results, cached);
    }

    /** The model's context capped at {@link ModelRuntime#DEFAULT_MAX_CONTEXT}, read from the file's metadata. */
    private static int defaultLength(Path weights) throws IOException {
        try (ModelFile file = ModelFiles.open(weights)) {
            return Math.min(DecoderConfig.of(file).contextLength(), ModelRuntime.DEFAULT_MAX_CONTEXT);
        }
    }

    private ModelOpener.Opened open(AuditTree.Node node) throws IOException {
        return node.product() != null ? opener.open(node.product()) : opener.open(node.file());
    }
}
