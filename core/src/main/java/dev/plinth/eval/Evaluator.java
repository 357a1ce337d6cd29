package dev.plinth.eval;

import dev.plinth.eval.TaskDefinition.Kind;
import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.DecoderModel;
import dev.plinth.model.ModelRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs tasks on one model: builds each item's requests (through the prompt format), scores them in
 * batches ({@link Scorer}), or generates greedily for probes, and computes the task's metrics.
 *
 * <pre>{@code
 * try (ModelRuntime rt = ModelRuntime.open(Path.of("model.gguf"), null)) {
 *     Task arc = Tasks.resolve("arc-easy", Tasks.defaultDataRoot());
 *     TaskResult r = new Evaluator(rt, PromptFormat.RAW, Evaluator.Options.defaults().withLimit(100))
 *             .run(arc, Evaluator.Progress.NONE);
 *     double acc = r.metrics().get("acc").value();
 * }
 * }</pre>
 */
public final class Evaluator {

    /**
     * How to run.
     *
     * @param limit               items per task (0: all)
     * @param shots               few-shot examples per item
     * @param maxLength           tokens the model reads at most per request (0: the model's context, capped at 4096)
     * @param batchTokens         tokens per pass through the model
     * @param bootstrapIterations bootstrap replicates per standard error
     * @param seed                the bootstrap's seed
     */
    public record Options(int limit, int shots, int maxLength, int batchTokens, int bootstrapIterations, long seed)
            implements java.io.Serializable {
        public Options {
            if (limit < 0 || shots < 0 || maxLength < 0 || batchTokens < 1 || bootstrapIterations < 0) {
                throw new IllegalArgumentException("limit, shots and maxLength must be >= 0 and batchTokens >= 1");
            }
        }

        public static Options defaults() {
            return new Options(0, 0, 0, 512, 1000, 1234);
        }

        public Options withLimit(int n) {
            return new Options(n, shots, maxLength, batchTokens, bootstrapIterations, seed);
        }

        public Options withShots(int n) {
            return new Options(limit, n, maxLength, batchTokens, bootstrapIterations, seed);
        }

        public Options withMaxLength(int n) {
            return new Options(limit, shots, n, batchTokens, bootstrapIterations, seed);
        }

        public Options withBatchTokens(int n) {
            return new Options(limit, shots, maxLength, n, bootstrapIterations, seed);
        }

        public Options withBootstrap(int n) {
            return new Options(limit, shots, maxLength, batchTokens, n, seed);
        }
    }

    /** Hears a task's progress: items done of the total, and tokens read. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (task, done, total, tokens) -> { };

        void update(String task, int done, int total, long tokens);
    }

    private final ModelRuntime runtime;
    private final PromptFormat format;
    private final Options options;
    private final Encoding encoding;

    public Evaluator(ModelRuntime runtime, PromptFormat format, Options options) {
        this.runtime = runtime;
        this.format = format;
        this.options = options;
        this.encoding = new Encoding(runtime.tokenizer());
    }

    /** The longest token sequence a request may give the model. */
    public int maxLength() {
        return runtime.contextLength(options.maxLength());
    }

    /** Runs {@code task} and computes its metrics. */
    public TaskResult run(Task task, Progress progress) {
        long start = System.nanoTime();
        Scores scores = score(task, 0, size(task), progress);
        return result(task, List.of(scores), (System.nanoTime() - start) / 1e9);
    }

    /** How many items {@code task} has with these options. */
    public int size(Task task) {
        return task.items(options.limit(), options.shots()).size();
    }

    /** What the model did with one item: per request its log-likelihood and greediness; a probe's output. */
    public record ItemScore(double[] logLikelihoods, boolean[] greedy, String output) implements java.io.Serializable {
    }

    /** The scores of a run of consecutive items and the tokens read to get them. */
    public record Scores(List<ItemScore> items, long tokens) implements java.io.Serializable {
    }

    /**
     * Scores items {@code [from, to)} of {@code task}: the part of {@link #run} that another thread or
     * machine can do alone; {@link #result} puts the parts together.
     */
    public Scores score(Task task, int from, int to, Progress progress) {
        List<Item> items = task.items(options.limit(), options.shots()).subList(from, to);
        progress.update(task.name(), 0, items.size(), 0);
        Scored scored = switch (task.definition().kind()) {
            case MULTIPLE_CHOICE, LOGLIKELIHOOD -> choices(task, items, progress);
            case ROLLING -> rolling(task, items, progress);
            case PROBES -> probes(task, items, progress);
        };
        return new Scores(scored.outcomes().stream().map(o -> new ItemScore(o.lls(), o.greedy(), o.output())).toList(),
                scored.tokens());
    }

    /** The metrics of {@code task} from the scores of all its items, in item order, in consecutive parts. */
    public TaskResult result(Task task, List<Scores> parts, double seconds) {
        List<Item> items = task.items(options.limit(), options.shots());
        List<Outcome> outcomes = new ArrayList<>(items.size());
        long tokens = 0;
        for (Scores part : parts) {
            for (ItemScore s : part.items()) {
                outcomes.add(new Outcome(items.get(outcomes.size()), s.logLikelihoods(), s.greedy(), s.output()));
            }
            tokens += part.tokens();
        }
        if (outcomes.size() != items.size()) {
            throw new IllegalArgumentException(task.name() + ": scores of " + outcomes.size() + " items, the task has " + items.size());
        }
        TaskDefinition d = task.definition();
        Map<String, Estimate> metrics = Metrics.compute(d.metrics(), d.kind(), outcomes,
                options.bootstrapIterations(), options.seed());
        Map<String, Map<String, Estimate>> groups = new LinkedHashMap<>();
        if (d.by() != null) {
            Map<String, List<Outcome>> byGroup = new TreeMap<>();
            outcomes.forEach(o -> byGroup.computeIfAbsent(o.item().group(), g -> new ArrayList<>()).add(o));
            byGroup.forEach((g, os) -> groups.put(g, Metrics.compute(d.metrics(), d.kind(), os,
                    options.bootstrapIterations(), options.seed())));
        }
        List<TaskResult.ItemResult> results = new ArrayList<>();
        for (Outcome o : outcomes) {
            boolean choice = d.kind() == Kind.MULTIPLE_CHOICE;
            Probe p = o.item().probe();
            results.add(new TaskResult.ItemResult(o.item().id(), Metrics.passed(o, d), choice ? o.predicted() : -1,
                    o.output(), p == null ? null : p.name() + ": " + p.describe()));
        }
        return new TaskResult(task.name(), task.digest(), d.kind().label(), d.kind() == Kind.ROLLING ? 0 : options.shots(),
                metrics, groups, results, tokens, seconds);
    }

    private record Scored(List<Outcome> outcomes, long tokens) {
    }

    private Scored choices(Task task, List<Item> items, Progress progress) {
        List<List<Scorer.Request>> groups = new ArrayList<>(items.size());
        for (Item item : items) {
            List<Scorer.Request> requests = new ArrayList<>();
            for (Item.Request r : item.requests()) {
                Scorer.Request tokens;
                try {
                    tokens = format.chat() ? encoding.pair(format.render(r.context()), r.continuation())
                            : encoding.pair(r.context(), r.delimiter() + r.continuation());
                } catch (IllegalArgumentException e) {
                    throw item.row().error(e.getMessage());
                }
                if (tokens.continuation().length > maxLength()) {
                    throw item.row().error("a continuation of " + tokens.continuation().length + " tokens is longer than the "
                            + maxLength() + " the model reads at once (a longer --ctx, if the model has one)");
                }
                requests.add(tokens);
            }
            groups.add(requests);
        }
        Scorer scorer = scorer();
        List<Scorer.Score[]> scores = scorer.score(groups,
                (done, tokens) -> progress.update(task.name(), done, items.size(), tokens));
        List<Outcome> outcomes = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            Scorer.Score[] s = scores.get(i);
            double[] lls = new double[s.length];
            boolean[] greedy = new boolean[s.length];
            for (int j = 0; j < s.length; j++) {
                lls[j] = s[j].logLikelihood();
                greedy[j] = s[j].greedy();
            }
            outcomes.add(new Outcome(items.get(i), lls, greedy, null));
        }
        return new Scored(outcomes, scorer.tokensRead());
    }

    /** Each document's rolling windows, scored as groups of their own; a document's log-likelihood is their sum. */
    private Scored rolling(Task task, List<Item> items, Progress progress) {
        List<List<Scorer.Request>> groups = new ArrayList<>();
        int[] firstWindow = new int[items.size() + 1];
        for (int i = 0; i < items.size(); i++) {
            firstWindow[i] = groups.size();
            for (Scorer.Request w : encoding.rollingWindows(items.get(i).document(), maxLength())) {
                groups.add(List.of(w));
            }
        }
        firstWindow[items.size()] = groups.size();
        Scorer scorer = scorer();
        List<Scorer.Score[]> scores = scorer.score(groups, (done, tokens) -> {
            int doc = Arrays.binarySearch(firstWindow, done);
            progress.update(task.name(), doc >= 0 ? doc : -doc - 2, items.size(), tokens);
        });
        List<Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            double ll = 0;
            for (int w = firstWindow[i]; w < firstWindow[i + 1]; w++) {
                ll += scores.get(w)[0].logLikelihood();
            }
            outcomes.add(new Outcome(items.get(i), new double[] {ll}, new boolean[] {false}, null));
        }
        return new Scored(outcomes, scorer.tokensRead());
    }

    private Scored probes(Task task, List<Item> items, Progress progress) {
        List<int[]> prompts = new ArrayList<>();
        int[] maxTokens = new int[items.size()];
        for (int i = 0; i < items.size(); i++) {
            Probe p = items.get(i).probe();
            prompts.add(runtime.encodeRendered(format.render(p.prompt())));
            maxTokens[i] = p.maxTokens();
        }
        Set<Integer> stops = new HashSet<>(runtime.endOfTurnTokens());
        if (runtime.tokenizer().eosId() >= 0) {
            stops.add(runtime.tokenizer().eosId());
        }
        GreedyBatch batch = new GreedyBatch(runtime.model(), runtime.adapters(), maxLength(), stops);
        List<int[]> generated = batch.generate(prompts, maxTokens,
                done -> progress.update(task.name(), done, items.size(), 0));
        List<Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String text = continuationText(prompts.get(i), generated.get(i));
            outcomes.add(new Outcome(items.get(i), new double[0], new boolean[0], text));
        }
        return new Scored(outcomes, batch.tokensRead());
    }

    /** The generated text as it reads after the prompt (decoded alone, a SentencePiece text would lose its leading blank). */
    private String continuationText(int[] prompt, int[] generated) {
        int[] all = Arrays.copyOf(prompt, prompt.length + generated.length);
        System.arraycopy(generated, 0, all, prompt.length, generated.length);
        String before = runtime.tokenizer().decode(prompt);
        String whole = runtime.tokenizer().decode(all);
        return whole.startsWith(before) ? whole.substring(before.length()) : runtime.tokenizer().decode(generated);
    }

    private Scorer scorer() {
        return new Scorer(runtime.model(), runtime.adapters(), maxLength(), options.batchTokens());
    }

    /** Greedy continuations of several prompts, decoded together one token per step. */
    static final class GreedyBatch {
        private final DecoderModel model;
        private final List<AppliedAdapter> adapters;
        private final int maxLength;
        private final Set<Integer> stops;
        private long tokensRead;

        GreedyBatch(DecoderModel model, List<AppliedAdapter> adapters, int maxLength, Set<Integer> stops) {
            this.model = model;
            this.adapters = adapters;
            this.maxLength = maxLength;
            this.stops = stops;
        }

        long tokensRead() {
            return tokensRead;
        }

        /** Each prompt's continuation (stop tokens left out), the prompt cut from the left to leave room for it. */
        List<int[]> generate(List<int[]> prompts, int[] maxTokens, java.util.function.IntConsumer progress) {
            int n = prompts.size();
            DecoderModel.Session[] sessions = new DecoderModel.Session[n];
            int[][] feed = new int[n][];
            List<List<Integer>> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int budget = Math.max(1, Math.min(maxTokens[i], maxLength - 1));
                maxTokens[i] = budget;
                int[] p = prompts.get(i);
                feed[i] = p.length + budget > maxLength ? Arrays.copyOfRange(p, p.length - (maxLength - budget), p.length) : p;
                sessions[i] = model.newSession(feed[i].length + budget, adapters);
                out.add(new ArrayList<>());
            }
            boolean[] done = new boolean[n];
            int finished = 0;
            while (finished < n) {
                List<Integer> active = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    if (!done[i]) {
                        active.add(i);
                    }
                }
                DecoderModel.Session[] s = new DecoderModel.Session[active.size()];
                int[][] t = new int[active.size()][];
                for (int k = 0; k < s.length; k++) {
                    s[k] = sessions[active.get(k)];
                    t[k] = feed[active.get(k)];
                    tokensRead += t[k].length;
                }
                float[][] logits = model.forwardBatch(s, t);
                for (int k = 0; k < s.length; k++) {
                    int i = active.get(k);
                    int next = DecoderModel.argmax(logits[k]);
                    if (stops.contains(next)) {
                        done[i] = true;
                    } else {
                        out.get(i).add(next);
                        feed[i] = new int[] {next};
                        done[i] = out.get(i).size() >= maxTokens[i];
                    }
                    if (done[i]) {
                        finished++;
                    }
                }
                progress.accept(finished);
            }
            List<int[]> result = new ArrayList<>();
            for (List<Integer> ids : out) {
                result.add(ids.stream().mapToInt(Integer::intValue).toArray());
            }
            return result;
        }
    }
}
