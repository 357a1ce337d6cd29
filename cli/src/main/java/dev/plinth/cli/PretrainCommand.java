package dev.plinth.cli;

import dev.plinth.train.PretrainConfig;
import dev.plinth.train.Pretrainer;
import dev.plinth.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code plinth pretrain}: train a llama-family base from random weights on a built corpus. */
@Command(name = "pretrain",
        description = {"Pretrain a llama-family base from random weights on a built corpus (card.json + token shards).",
                "Settings come from --config (Java properties; keys as the flags below, without --) and the flags, which win.",
                "Writes OUT/checkpoint.plnt (every --checkpoint-every steps, at the end and on Ctrl-C), OUT/log.csv, "
                        + "OUT/loss.svg and OUT/config.properties; --resume continues bit for bit."},
        sortOptions = false)
final class PretrainCommand implements Callable<Integer> {

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--corpus", required = true, paramLabel = "DIR", description = "A built corpus folder (card.json and shards).")
    Path corpus;

    @Option(names = "--config", paramLabel = "FILE", description = "A properties file of settings (e.g. recipes/base-small.properties).")
    Path configFile;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "pretrain-run",
            description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--resume", description = "Continue the run whose checkpoint is in --out.")
    boolean resume;

    @Option(names = "--plain", description = "Progress as plain lines even on a terminal (for logs).")
    boolean plain;

    @Option(names = "--hidden", paramLabel = "N", description = "Residual width (default 256).")
    Integer hidden;
    @Option(names = "--layers", paramLabel = "N", description = "Transformer blocks (default 4).")
    Integer layers;
    @Option(names = "--heads", paramLabel = "N", description = "Query heads (default 4).")
    Integer heads;
    @Option(names = "--kv-heads", paramLabel = "N", description = "Key/value heads (default 4).")
    Integer kvHeads;
    @Option(names = "--ffn", paramLabel = "N", description = "SwiGLU inner width (default 688).")
    Integer ffn;
    @Option(names = "--context", paramLabel = "N", description = "Tokens per sequence (default 256).")
    Integer context;
    @Option(names = "--tied", negatable = true, description = "Tie the output projection to the embedding (default true).")
    Boolean tied;
    @Option(names = "--rope-base", paramLabel = "X", description = "RoPE frequency base (default 10000).")
    Double ropeBase;
    @Option(names = "--batch", paramLabel = "N", description = "Sequences per micro-batch (default 8).")
    Integer batch;
    @Option(names = "--grad-accum", paramLabel = "N", description = "Micro-batches per step (default 1).")
    Integer gradAccum;
    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps (default 1000).")
    Long steps;
    @Option(names = "--lr", paramLabel = "X", description = "Peak learning rate (default 0.001).")
    Double lr;
    @Option(names = "--min-lr", paramLabel = "X", description = "Final learning rate of the cosine (default 0.0001).")
    Double minLr;
    @Option(names = "--warmup", paramLabel = "N", description = "Warm-up steps (default 100).")
    Long warmup;
    @Option(names = "--weight-decay", paramLabel = "X", description = "AdamW weight decay of matrices (default 0.1).")
    Double weightDecay;
    @Option(names = "--beta1", paramLabel = "X", description = "AdamW beta1 (default 0.9).")
    Double beta1;
    @Option(names = "--beta2", paramLabel = "X", description = "AdamW beta2 (default 0.95).")
    Double beta2;
    @Option(names = "--clip", paramLabel = "X", description = "Global gradient-norm clip, 0 for none (default 1.0).")
    Double clip;
    @Option(names = "--eval-every", paramLabel = "N", description = "Steps between validation losses (default 100).")
    Long evalEvery;
    @Option(names = "--eval-batches", paramLabel = "N", description = "Validation batches (default 8).")
    Integer evalBatches;
    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Steps between checkpoints (default 200).")
    Long checkpointEvery;
    @Option(names = "--seed", paramLabel = "N", description = "Seed of the weights and the batch order (default 1).")
    Long seed;
    @Option(names = "--recompute", negatable = true, description = "Recompute each layer in backward: less memory, ~1/3 more compute.")
    Boolean recompute;

    PretrainCommand(Console console) {
        this.console = console;
    }

    /** The settings given as flags, by config key. */
    private Map<String, String> flags() {
        Map<String, String> m = new LinkedHashMap<>();
        Object[] values = {hidden, layers, heads, kvHeads, ffn, context, tied, ropeBase, batch, gradAccum, steps, lr, minLr,
                warmup, weightDecay, beta1, beta2, clip, evalEvery, evalBatches, checkpointEvery, seed, recompute};
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null) {
                m.put(PretrainConfig.KEYS.get(i), values[i].toString());
            }
        }
        return m;
    }

    @Override
    public Integer call() throws IOException {
        Pretrainer trainer;
        try {
            if (resume) {
                // a --config file must agree with the checkpoint's shape; flags alone change only what they name
                Map<String, String> overrides = configFile == null ? flags() : PretrainConfig.read(configFile, flags()).toMap();
                trainer = Pretrainer.resume(corpus, out, overrides);
            } else {
                PretrainConfig config = configFile == null ? PretrainConfig.defaults().with(flags(), "command line")
                        : PretrainConfig.read(configFile, flags());
                trainer = Pretrainer.create(corpus, out, config);
            }
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), e);
        }
        try (trainer) {
            PretrainConfig c = trainer.config();
            console.info("%s %,d-parameter llama (hidden %d, layers %d, heads %d/%d, ffn %d, vocab %d, context %d) on %s "
                            + "(%,d training tokens)", resume ? "resuming at step " + trainer.step() + ":" : "pretraining a",
                    trainer.parameterCount(), c.hidden(), c.layers(), c.heads(), c.kvHeads(), c.ffn(),
                    trainer.card().vocabSize(), c.context(), corpus, trainer.trainTokens());
            console.info("%d steps of %,d tokens (batch %d x grad-accum %d x context %d), lr %s -> %s, warm-up %d%s",
                    c.steps(), c.tokensPerStep(), c.batch(), c.gradAccum(), c.context(), c.lr(), c.minLr(), c.warmup(),
                    c.recompute() ? ", recomputing layers" : "");
            ProgressView view = new ProgressView(console, !plain && console.interactive());
            Trainer.Result r = trainer.run(view);
            view.finish();
            console.info("%s at step %d of %d; last validation loss %s; %s", r.completed() ? "finished" : "stopped",
                    r.step(), c.steps(), Double.isNaN(r.lastValLoss()) ? "none" : String.format(Locale.ROOT, "%.4f", r.lastValLoss()),
                    r.memory());
            if (!r.completed()) {
                console.info("continue with: plinth pretrain --corpus %s --out %s --resume", corpus, out);
            }
            console.out().println("checkpoint: " + r.checkpoint());
            console.out().println("log: " + r.csv());
            console.out().println("plot: " + r.svg());
            Path tok = trainer.tokenizer();
            if (tok != null) {
                console.out().println("tokenizer: " + tok);
            }
            console.out().flush();
        }
        return Main.OK;
    }

    /** A one-line progress bar on a terminal, otherwise a plain line now and then. */
    static final class ProgressView implements Trainer.Listener {
        private static final long PLAIN_EVERY_NANOS = 30_000_000_000L;
        private final Console console;
        private final boolean bar;
        private long lastPlain = System.nanoTime();
        private boolean barShown;

        ProgressView(Console console, boolean bar) {
            this.console = console;
            this.bar = bar;
        }

        @Override
        public void onStep(Trainer.Progress p) {
            if (console.quiet()) {
                return;
            }
            if (bar) {
                console.err().print("\r" + barLine(p) + "\033[K");
                console.err().flush();
                barShown = true;
                if (!Double.isNaN(p.valLoss())) {
                    console.err().println();
                    barShown = false;
                }
                return;
            }
            long now = System.nanoTime();
            if (p.step() == 1 || p.step() == p.steps() || !Double.isNaN(p.valLoss()) || now - lastPlain > PLAIN_EVERY_NANOS) {
                lastPlain = now;
                console.info("%s", plainLine(p));
            }
        }

        @Override
        public void onCheckpoint(Path file, long step) {
            if (bar && barShown) {
                console.err().println();
                barShown = false;
            }
            console.debug("checkpoint at step %d: %s", step, file);
        }

        void finish() {
            if (bar && barShown) {
                console.err().println();
            }
        }

        static String plainLine(Trainer.Progress p) {
            return String.format(Locale.ROOT, "step %d/%d  loss %.4f  val %s  lr %.2e  %,.0f tok/s  grad norm %.3f  ETA %s",
                    p.step(), p.steps(), p.trainLoss(), val(p.lastValLoss()), p.lr(), p.tokensPerSecond(), p.gradNorm(),
                    ProgressMeter.duration(p.etaSeconds()));
        }

        static String barLine(Trainer.Progress p) {
            int width = 24;
            int done = (int) (width * p.step() / Math.max(1, p.steps()));
            String b = "=".repeat(done) + (done < width ? ">" + " ".repeat(width - done - 1) : "");
            return String.format(Locale.ROOT, "[%s] %d/%d  loss %.4f  val %s  %,.0f tok/s  ETA %s", b, p.step(), p.steps(),
                    p.trainLoss(), val(p.lastValLoss()), p.tokensPerSecond(), ProgressMeter.duration(p.etaSeconds()));
        }

        private static String val(double v) {
            return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
        }
    }
}
