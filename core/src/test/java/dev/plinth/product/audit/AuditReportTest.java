package dev.plinth.product.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.plinth.eval.Estimate;
import dev.plinth.eval.TaskResult;
import dev.plinth.product.Digest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How an audit marks a node's failures and changes against its parent, on results made by hand. */
class AuditReportTest {

    private static AuditReport.NodeResults node(String task, Map<String, Estimate> metrics, boolean... passed) {
        List<TaskResult.ItemResult> items = new ArrayList<>();
        for (int i = 0; i < passed.length; i++) {
            items.add(new TaskResult.ItemResult("q" + i, passed[i], 0, null, null));
        }
        TaskResult r = new TaskResult(task, "sha256:t", "multiple-choice", 0, metrics, Map.of(), items, 0, 0);
        return new AuditReport.NodeResults(null, Digest.of(task.getBytes(StandardCharsets.UTF_8)), Map.of(task, r), Map.of(task, false));
    }

    @Test
    void failuresAreInheritedIntroducedOrFixed() {
        Map<String, Estimate> m = Map.of("acc", new Estimate(0.5, 0.1));
        AuditReport.NodeResults parent = node("t", m, false, false, true, true);
        AuditReport.NodeResults child = node("t", m, false, true, false, true);
        AuditReport.Failures f = AuditReport.failures(child, parent).getFirst();
        assertEquals(2, f.failing());
        assertEquals(List.of("q0"), f.inherited());
        assertEquals(List.of("q2"), f.introduced());
        assertEquals(List.of("q1"), f.fixed());
        AuditReport.Failures root = AuditReport.failures(parent, null).getFirst();
        assertEquals(2, root.failing());
        assertEquals(List.of(), root.inherited(), "the root has nothing to inherit from");
    }

    @Test
    void aChangeCountsBeyondTwiceTheStandardErrorOfTheDifferenceInTheMetricsDirection() {
        // se of the difference: sqrt(0.03² + 0.04²) = 0.05; beyond 2 se is |Δ| > 0.1
        AuditReport.Change up = AuditReport.change("t", "acc", new Estimate(0.71, 0.03), new Estimate(0.6, 0.04));
        assertEquals(0.05, up.stderr(), 1e-12);
        assertEquals(AuditReport.Verdict.BETTER, up.verdict());
        assertEquals(AuditReport.Verdict.SAME, AuditReport.change("t", "acc", new Estimate(0.69, 0.03), new Estimate(0.6, 0.04)).verdict());
        assertEquals(AuditReport.Verdict.WORSE, AuditReport.change("t", "pct_stereotype", new Estimate(0.71, 0.03),
                new Estimate(0.6, 0.04)).verdict(), "a higher stereotype share is worse");
        assertEquals(AuditReport.Verdict.WORSE, AuditReport.change("t", "word_perplexity", new Estimate(12, Double.NaN),
                new Estimate(11, Double.NaN)).verdict(), "without a standard error any change counts");
    }
}
