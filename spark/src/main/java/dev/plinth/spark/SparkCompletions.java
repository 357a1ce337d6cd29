package dev.plinth.spark;

import dev.plinth.cli.RunWork;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code plinth run --input prompts.jsonl --output completions.jsonl} as a Spark job: the prompts in
 * consecutive slices, each executor opening the model once (weights memory-mapped) and completing its
 * slices through the same code as {@code plinth run}; the driver writes the completions in prompt order.
 */
final class SparkCompletions {

    private final JavaSparkContext sc;

    SparkCompletions(JavaSparkContext sc) {
        this.sc = sc;
    }

    List<RunWork.Completion> run(RunWork work, List<RunWork.Prompt> prompts) {
        int parts = Math.max(1, Math.min(prompts.size(), 2 * sc.defaultParallelism()));
        List<List<RunWork.Prompt>> slices = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            slices.add(new ArrayList<>(prompts.subList(prompts.size() * p / parts, prompts.size() * (p + 1) / parts)));
        }
        LongAccumulator done = sc.sc().longAccumulator("run: prompts completed");
        LongAccumulator tokens = sc.sc().longAccumulator("run: tokens generated");
        sc.setJobDescription("run: complete " + prompts.size() + " prompt(s) in " + parts + " slice(s)");
        List<List<RunWork.Completion>> completed = sc.parallelize(slices, parts).map(slice -> {
            List<RunWork.Completion> c = work.completeKeepingOpen(slice);
            done.add(c.size());
            tokens.add(c.stream().mapToLong(RunWork.Completion::tokens).sum());
            return c;
        }).collect();
        List<RunWork.Completion> out = new ArrayList<>(prompts.size());
        completed.forEach(out::addAll);
        return out;
    }
}
