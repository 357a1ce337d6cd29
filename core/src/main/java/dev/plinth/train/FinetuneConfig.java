package dev.plinth.train;

import dev.plinth.train.data.DataFormat;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The settings of a fine-tuning run, keyed by the CLI's flag names:
 *
 * <pre>
 * key               meaning                                                          default
 * method            lora (pairs on the frozen base) or full (every weight in F32)    lora
 * init              full: base (start from its weights) or random (fresh weights of   base
 *                   its shape, as pretraining draws them: a from-scratch baseline)
 * task              causal, chat or classify; auto: the data's own                   auto
 * rank, alpha       LoRA rank and alpha (scale alpha/r, or alpha/√r with rslora)     16, 32
 * dropout           dropout on each LoRA pair's input                                0.05
 * targets           block projections LoRA adapts                                    q,k,v,o,gate,up,down
 * rslora            rank-stabilised scale alpha/√r                                   false
 * steps, epochs     optimizer steps, or passes over the training examples (steps 0)  0, 1
 * batch, grad-accum sequences per micro-batch, micro-batches per step                8, 1
 * lr, min-lr        peak and final learning rate (0: 2e-4 for lora, 2e-5 for full;  0, -1
 *                   -1: lr/10)
 * warmup            linear warm-up steps (-1: 3% of the steps)                       -1
 * weight-decay      AdamW decoupled decay of matrices (not the token embedding)      0
 * beta1, beta2      AdamW moment decay rates                                         0.9, 0.999
 * clip              global gradient-norm clip (0: none)                              1.0
 * eval-every        steps between validation losses (0: only at the end)             50
 * eval-batches      validation batches at most                                       16
 * checkpoint-every  steps between checkpoints (0: only at the end and on stop)       200
 * seed              LoRA init, head init, validation split, batch order, dropout     1
 * context           input tokens per example (0: the base's context, at most 512)    0
 * val-fraction      share of rows held out for validation                            0.1
 * skip-bad          skip malformed rows instead of stopping at the first             false
 * recompute         recompute each layer during backward (less memory)               false
 * </pre>
 *
 * {@link Finetuner} resolves the automatic values (0, -1, auto) against the base and the data
 * before the run starts, and a checkpoint keeps the resolved settings.
 */
public record FinetuneConfig(String method, String init, String task, int rank, double alpha, double dropout, List<String> targets,
                             boolean rsLora, long steps, double epochs, int batch, int gradAccum, double lr, double minLr,
                             long warmup, double weightDecay, double beta1, double beta2, double clip, long evalEvery,
                             int evalBatches, long checkpointEvery, long seed, int context, double valFraction,
                             boolean skipBad, boolean recompute) implements OptimizerSettings {

    /** Every key, in the order files list them. */
    public static final List<String> KEYS = List.of("method", "init", "task", "rank", "alpha", "dropout", "targets", "rslora",
            "steps", "epochs", "batch", "grad-accum", "lr", "min-lr", "warmup", "weight-decay", "beta1", "beta2", "clip",
            "eval-every", "eval-batches", "checkpoint-every", "seed", "context", "val-fraction", "skip-bad", "recompute");

    /** Keys that fix the trained parameters, the data or its order: a resumed run must keep them. */
    public static final List<String> FIXED_ON_RESUME = List.of("method", "init", "task", "rank", "alpha", "dropout", "targets",
            "rslora", "batch", "grad-accum", "seed", "context", "val-fraction", "skip-bad");

    public FinetuneConfig {
        if (!method.equals("lora") && !method.equals("full")) {
            throw new IllegalArgumentException("method must be lora or full, not '" + method + "'");
        }
        if (!init.equals("base") && !(init.equals("random") && method.equals("full"))) {
            throw new IllegalArgumentException("init must be base, or random with method full, not '" + init + "'");
        }
        if (!task.equals("auto") && Arrays.stream(DataFormat.Task.values()).noneMatch(t -> t.cliName().equals(task))) {
            throw new IllegalArgumentException("task must be causal, chat, classify or auto, not '" + task + "'");
        }
        new LoraSettings(rank, alpha, dropout, targets, rsLora); // checks them
        targets = List.copyOf(targets);
        if (steps < 0 || !(epochs >= 0) || (steps == 0 && epochs == 0)) {
            throw new IllegalArgumentException("give a positive number of steps or of epochs");
        }
        if (batch < 1 || gradAccum < 1 || evalBatches < 1 || context < 0) {
            throw new IllegalArgumentException("batch, grad-accum and eval-batches must be positive, context >= 0");
        }
        if (!(lr >= 0) || !(minLr >= 0 || minLr == -1) || (lr > 0 && minLr > lr) || warmup < -1) {
            throw new IllegalArgumentException("need lr >= 0, 0 <= min-lr <= lr (or -1) and warmup >= -1");
        }
        if (!(weightDecay >= 0) || !(clip >= 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("weight-decay and clip must be >= 0, beta1 and beta2 in [0, 1)");
        }
        if (evalEvery < 0 || checkpointEvery < 0 || !(valFraction >= 0 && valFraction < 1)) {
            throw new IllegalArgumentException("eval-every and checkpoint-every must be >= 0, val-fraction in [0, 1)");
        }
    }

    /** The defaults. */
    public static FinetuneConfig defaults() {
        return new FinetuneConfig("lora", "base", "auto", 16, 32, 0.05, LoraSettings.ALL, false, 0, 1, 8, 1, 0, -1, -1, 0, 0.9,
                0.999, 1.0, 50, 16, 200, 1, 0, 0.1, false, false);
    }

    /** Parses properties text (a checkpoint's or {@code config.properties}) over the defaults. */
    public static FinetuneConfig parse(String properties, String source) {
        return defaults().with(ConfigText.load(properties), source);
    }

    /** This config with some keys replaced; an unknown key or unreadable value names both and {@code source}. */
    public FinetuneConfig with(Map<String, String> overrides, String source) {
        Map<String, String> m = ConfigText.override(toMap(), overrides, source, KEYS);
        try {
            return new FinetuneConfig(m.get("method").toLowerCase(Locale.ROOT), m.get("init").toLowerCase(Locale.ROOT),
                    m.get("task").toLowerCase(Locale.ROOT),
                    integer(m, "rank"), real(m, "alpha"), real(m, "dropout"), Arrays.asList(m.get("targets").split(",")),
                    bool(m, "rslora"), whole(m, "steps"), real(m, "epochs"), integer(m, "batch"), integer(m, "grad-accum"),
                    real(m, "lr"), real(m, "min-lr"), whole(m, "warmup"), real(m, "weight-decay"), real(m, "beta1"),
                    real(m, "beta2"), real(m, "clip"), whole(m, "eval-every"), integer(m, "eval-batches"),
                    whole(m, "checkpoint-every"), whole(m, "seed"), integer(m, "context"), real(m, "val-fraction"),
                    bool(m, "skip-bad"), bool(m, "recompute"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static int integer(Map<String, String> m, String key) {
        return (int) number(m, key, true);
    }

    private static long whole(Map<String, String> m, String key) {
        return (long) number(m, key, true);
    }

    private static double real(Map<String, String> m, String key) {
        return number(m, key, false);
    }

    private static double number(Map<String, String> m, String key, boolean whole) {
        String v = m.get(key).replace("_", "");
        try {
            return whole ? Long.parseLong(v) : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " = '" + m.get(key) + "' is not " + (whole ? "a whole number" : "a number"));
        }
    }

    private static boolean bool(Map<String, String> m, String key) {
        return switch (m.get(key).toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException(key + " = '" + m.get(key) + "' is not true or false");
        };
    }

    /** Every key with its value, in {@link #KEYS} order. */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("method", method);
        m.put("init", init);
        m.put("task", task);
        m.put("rank", Integer.toString(rank));
        m.put("alpha", Double.toString(alpha));
        m.put("dropout", Double.toString(dropout));
        m.put("targets", String.join(",", targets));
        m.put("rslora", Boolean.toString(rsLora));
        m.put("steps", Long.toString(steps));
        m.put("epochs", Double.toString(epochs));
        m.put("batch", Integer.toString(batch));
        m.put("grad-accum", Integer.toString(gradAccum));
        putOptimizerKeys(m);
        m.put("context", Integer.toString(context));
        m.put("val-fraction", Double.toString(valFraction));
        m.put("skip-bad", Boolean.toString(skipBad));
        m.put("recompute", Boolean.toString(recompute));
        return m;
    }

    /** As properties text that {@link #parse} reads back to an equal config; its first line marks a fine-tuning run. */
    public String toProperties() {
        StringBuilder sb = new StringBuilder(Checkpoint.FINETUNE_HEADER).append('\n');
        toMap().forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
        return sb.toString();
    }

    /** Whether a full fine-tune starts from fresh random weights of the base's shape instead of the base's. */
    public boolean fromScratch() {
        return init.equals("random");
    }

    /** Whether LoRA pairs train on a frozen base (else every weight trains). */
    public boolean lora() {
        return method.equals("lora");
    }

    /** The task, or null for the data's own. */
    public DataFormat.Task taskOrNull() {
        return task.equals("auto") ? null : DataFormat.Task.valueOf(task.toUpperCase(Locale.ROOT));
    }

    /** The LoRA settings these keys give. */
    public LoraSettings loraSettings() {
        return new LoraSettings(rank, alpha, dropout, targets, rsLora);
    }

    /** Input tokens per example: {@code context}, or the base's context capped at 512 when it is 0. */
    public int context(int baseContext) {
        return context > 0 ? context : Math.min(512, baseContext);
    }

    /**
     * The automatic values resolved: {@code task} (the data's), {@code steps} (from epochs over
     * {@code trainExamples}), {@code lr}, {@code min-lr}, {@code warmup} and {@code context} (from the
     * base's {@code baseContext}).
     */
    FinetuneConfig resolved(DataFormat.Task dataTask, long trainExamples, int baseContext) {
        long s = steps > 0 ? steps : Math.max(1, (long) Math.ceil(epochs * trainExamples / ((double) batch * gradAccum)));
        double peak = lr > 0 ? lr : (lora() ? 2e-4 : 2e-5);
        return new FinetuneConfig(method, init, dataTask.cliName(), rank, alpha, dropout, targets, rsLora, s, epochs, batch,
                gradAccum, peak, minLr >= 0 ? minLr : peak / 10, warmup >= 0 ? Math.min(warmup, s) : (long) Math.floor(0.03 * s),
                weightDecay, beta1, beta2, clip, evalEvery, evalBatches, checkpointEvery, seed, context(baseContext),
                valFraction, skipBad, recompute);
    }
}
