package dev.plinth.cli;

import dev.plinth.eval.Evaluator;
import dev.plinth.eval.Task;
import dev.plinth.eval.TaskResult;
import dev.plinth.product.audit.Audit;
import dev.plinth.product.audit.AuditTree;

/** An audit's progress on standard error: a line per node and task taken from the cache, a progress bar per one evaluated. */
final class AuditListener implements Audit.Listener {

    private final Console console;
    private ProgressMeter meter;

    AuditListener(Console console) {
        this.console = console;
    }

    @Override
    public void task(AuditTree.Node node, Task task, boolean cached) {
        if (cached) {
            console.info("%s · %s: cached", node.label(), task.name());
        } else {
            meter = new ProgressMeter(console, node.label() + " · " + task.name(), 0, ProgressMeter.Unit.COUNT);
        }
    }

    @Override
    public Evaluator.Progress progress() {
        return (task, done, total, tokens) -> {
            if (meter != null) {
                meter.total(total);
                meter.update(done);
            }
        };
    }

    @Override
    public void finished(AuditTree.Node node, Task task, TaskResult result) {
        if (meter != null) {
            meter.finish();
            meter = null;
            console.info("%s · %s: %d items, %,d tokens in %.1f s (%.0f tokens/s)", node.label(), task.name(), result.size(),
                    result.tokens(), result.seconds(), result.tokens() / Math.max(1e-9, result.seconds()));
        }
    }
}
