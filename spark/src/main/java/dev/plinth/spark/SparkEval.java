package dev.plinth.spark;

import dev.plinth.cli.EvalWork;
import dev.plinth.eval.Evaluator;
import dev.plinth.eval.Task;
import dev.plinth.eval.TaskResult;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;

import java.util.ArrayList;
import java.util.List;

/**
 * One task of {@code plinth eval} as a Spark job: the items in consecutive ranges, each range scored on an
 * executor by the same {@link Evaluator} {@code plinth eval} uses (opened once per executor), the metrics
 * computed on the driver from all items in order, as one machine computes them.
 */
final class SparkEval {

    private final JavaSparkContext sc;

    SparkEval(JavaSparkContext sc) {
        this.sc = sc;
    }

    TaskResult run(Evaluator evaluator, Task task, EvalWork work) {
        long start = System.nanoTime();
        int items = evaluator.size(task);
        int parts = Math.max(1, Math.min(items, 2 * sc.defaultParallelism()));
        List<int[]> ranges = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            ranges.add(new int[] {(int) ((long) items * p / parts), (int) ((long) items * (p + 1) / parts)});
        }
        LongAccumulator scored = sc.sc().longAccumulator("eval " + task.name() + ": items scored");
        LongAccumulator tokens = sc.sc().longAccumulator("eval " + task.name() + ": tokens read");
        sc.setJobDescription("eval " + task.name() + ": score " + items + " item(s) in " + parts + " range(s)");
        List<Evaluator.Scores> scores = sc.parallelize(ranges, parts).map(r -> {
            Evaluator.Scores s = work.score(r[0], r[1]);
            scored.add(s.items().size());
            tokens.add(s.tokens());
            return s;
        }).collect();
        return evaluator.result(task, scores, (System.nanoTime() - start) / 1e9);
    }
}
