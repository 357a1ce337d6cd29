package dev.plinth.train;

import dev.plinth.model.DecoderConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Everything a pretraining run needs besides the corpus: the model's shape (its vocabulary comes
 * from the corpus), the batch, the schedule and the optimizer. Read from a Java properties file
 * ({@code key = value} lines, {@code #} comments) whose keys are the CLI's flag names:
 *
 * <pre>
 * key               meaning                                                      default
 * hidden            width of the residual stream                                 256
 * layers            transformer blocks                                           4
 * heads             query heads (head size = hidden / heads)                     4
 * kv-heads          key/value heads (grouped-query attention when fewer)         4
 * ffn               inner width of the SwiGLU feed-forward                       688
 * context           tokens per training sequence                                 256
 * tied              output projection shares the token embedding                 true
 * rope-base         RoPE frequency base                                          10000
 * batch             sequences per micro-batch                                    8
 * grad-accum        micro-batches per optimizer step                             1
 * steps             optimizer steps                                              1000
 * lr                peak learning rate                                           0.001
 * min-lr            learning rate at the end of the cosine                       0.0001
 * warmup            linear warm-up steps                                         100
 * weight-decay      AdamW decoupled decay (matrices only, not the embedding)     0.1
 * beta1, beta2      AdamW moment decay rates                                     0.9, 0.95
 * clip              global gradient-norm clip (0: none)                          1.0
 * eval-every        steps between validation losses (0: only at the end)         100
 * eval-batches      validation batches (of batch sequences, fixed windows)       8
 * checkpoint-every  steps between checkpoints (0: only at the end and on stop)   200
 * seed              initial weights and batch order                              1
 * recompute         recompute each layer during backward (less memory)           false
 * </pre>
 */
public record PretrainConfig(int hidden, int layers, int heads, int kvHeads, int ffn, int context, boolean tied,
                             double ropeBase, int batch, int gradAccum, long steps, double lr, double minLr, long warmup,
                             double weightDecay, double beta1, double beta2, double clip, long evalEvery, int evalBatches,
                             long checkpointEvery, long seed, boolean recompute) implements OptimizerSettings {

    /** Every key, in the order files and checkpoints list them. */
    public static final List<String> KEYS = List.of("hidden", "layers", "heads", "kv-heads", "ffn", "context", "tied",
            "rope-base", "batch", "grad-accum", "steps", "lr", "min-lr", "warmup", "weight-decay", "beta1", "beta2", "clip",
            "eval-every", "eval-batches", "checkpoint-every", "seed", "recompute");

    /** Keys that fix the model or the data order: a resumed run must keep them. */
    public static final List<String> FIXED_ON_RESUME = List.of("hidden", "layers", "heads", "kv-heads", "ffn", "context",
            "tied", "rope-base", "batch", "grad-accum", "seed");

    public PretrainConfig {
        positive("hidden", hidden);
        positive("layers", layers);
        positive("heads", heads);
        positive("kv-heads", kvHeads);
        positive("ffn", ffn);
        positive("context", context);
        positive("batch", batch);
        positive("grad-accum", gradAccum);
        positive("steps", steps);
        positive("eval-batches", evalBatches);
        if (hidden % heads != 0 || (hidden / heads) % 2 != 0) {
            throw new IllegalArgumentException("hidden " + hidden + " must split into " + heads + " heads of an even size");
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " must be a multiple of kv-heads " + kvHeads);
        }
        if (!(lr > 0) || !(minLr >= 0) || minLr > lr) {
            throw new IllegalArgumentException("need lr > 0 and 0 <= min-lr <= lr, got lr " + lr + ", min-lr " + minLr);
        }
        if (warmup < 0 || warmup > steps) {
            throw new IllegalArgumentException("warmup " + warmup + " must be within 0.." + steps + " steps");
        }
        if (!(weightDecay >= 0) || !(clip >= 0) || !(ropeBase > 0)) {
            throw new IllegalArgumentException("weight-decay and clip must be >= 0 and rope-base > 0");
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta1 and beta2 must be in [0, 1)");
        }
        if (evalEvery < 0 || checkpointEvery < 0) {
            throw new IllegalArgumentException("eval-every and checkpoint-every must be >= 0");
        }
    }

    /** The defaults (a ≈3M-parameter model at a 4k vocabulary). */
    public static PretrainConfig defaults() {
        return new PretrainConfig(256, 4, 4, 4, 688, 256, true, 10000, 8, 1, 1000, 1e-3, 1e-4, 100, 0.1, 0.9, 0.95, 1.0,
                100, 8, 200, 1, false);
    }

    /** Reads a properties file over the defaults. */
    public static PretrainConfig read(Path file) throws IOException {
        return read(file, Map.of());
    }

    /**
     * Reads a properties file over the defaults, then {@code overrides} (command-line flags) over
     * it; the combination is checked once, so a flag may fix what the file alone gets wrong.
     */
    public static PretrainConfig read(Path file, Map<String, String> overrides) throws IOException {
        Map<String, String> m;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            m = ConfigText.load(r);
        }
        for (String k : m.keySet()) {
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException(file + ": unknown key '" + k + "'; known keys: " + String.join(", ", KEYS));
            }
        }
        m.putAll(overrides);
        return defaults().with(m, overrides.isEmpty() ? file.toString() : file + " with the command line");
    }

    /** Parses properties text over the defaults. */
    public static PretrainConfig parse(String properties, String source) {
        return defaults().with(ConfigText.load(properties), source);
    }


    /**
     * This config with some keys replaced ({@code source} names where they came from in errors);
     * an unknown key or an unreadable value is an {@link IllegalArgumentException} naming both.
     */
    public PretrainConfig with(Map<String, String> overrides, String source) {
        Map<String, String> m = ConfigText.override(toMap(), overrides, source, KEYS);
        try {
            return new PretrainConfig(
                    num(m, "hidden", source, Integer::parseInt), num(m, "layers", source, Integer::parseInt),
                    num(m, "heads", source, Integer::parseInt), num(m, "kv-heads", source, Integer::parseInt),
                    num(m, "ffn", source, Integer::parseInt), num(m, "context", source, Integer::parseInt),
                    bool(m, "tied", source), num(m, "rope-base", source, Double::parseDouble),
                    num(m, "batch", source, Integer::parseInt), num(m, "grad-accum", source, Integer::parseInt),
                    num(m, "steps", source, Long::parseLong), num(m, "lr", source, Double::parseDouble),
                    num(m, "min-lr", source, Double::parseDouble), num(m, "warmup", source, Long::parseLong),
                    num(m, "weight-decay", source, Double::parseDouble), num(m, "beta1", source, Double::parseDouble),
                    num(m, "beta2", source, Double::parseDouble), num(m, "clip", source, Double::parseDouble),
                    num(m, "eval-every", source, Long::parseLong), num(m, "eval-batches", source, Integer::parseInt),
                    num(m, "checkpoint-every", source, Long::parseLong), num(m, "seed", source, Long::parseLong),
                    bool(m, "recompute", source));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(source + ":")) {
                throw e;
            }
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static <T> T num(Map<String, String> m, String key, String source, Function<String, T> parse) {
        String v = m.get(key);
        try {
            return parse.apply(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(source + ": " + key + " = '" + v + "' is not a number");
        }
    }

    private static boolean bool(Map<String, String> m, String key, String source) {
        String v = m.get(key).toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException(source + ": " + key + " = '" + v + "' is not true or false");
        };
    }

    /** Every key with its value, in {@link #KEYS} order. */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("hidden", Integer.toString(hidden));
        m.put("layers", Integer.toString(layers));
        m.put("heads", Integer.toString(heads));
        m.put("kv-heads", Integer.toString(kvHeads));
        m.put("ffn", Integer.toString(ffn));
        m.put("context", Integer.toString(context));
        m.put("tied", Boolean.toString(tied));
        m.put("rope-base", Double.toString(ropeBase));
        m.put("batch", Integer.toString(batch));
        m.put("grad-accum", Integer.toString(gradAccum));
        m.put("steps", Long.toString(steps));
        putOptimizerKeys(m);
        m.put("recompute", Boolean.toString(recompute));
        return m;
    }

    /** As a properties file that {@link #read} reads back to an equal config (doubles print exactly). */
    public String toProperties() {
        StringBuilder sb = new StringBuilder("# plinth pretrain configuration\n");
        toMap().forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
        return sb.toString();
    }

    /** The decoder shape for a vocabulary: llama, head size hidden/heads, RMSNorm eps 1e-5, interleaved RoPE. */
    public DecoderConfig decoder(int vocabSize) {
        return DecoderConfig.builder("llama").hiddenSize(hidden).layers(layers).ffnSize(ffn).heads(heads)
                .kvHeads(kvHeads).vocabSize(vocabSize).contextLength(context).ropeBase(ropeBase).build();
    }

    /** Tokens one optimizer step consumes. */
    public long tokensPerStep() {
        return (long) batch * gradAccum * context;
    }

    private static void positive(String key, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(key + " must be positive, was " + v);
        }
    }
}
