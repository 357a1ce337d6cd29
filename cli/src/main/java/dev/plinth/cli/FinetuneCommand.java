package dev.plinth.cli;

import dev.plinth.model.ModelRuntime;
import dev.plinth.text.template.ChatTemplate;
import dev.plinth.train.FinetuneConfig;
import dev.plinth.train.Finetuner;
import dev.plinth.train.Trainer;
import dev.plinth.train.data.ChatRenderer;
import dev.plinth.train.data.FinetuneData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code plinth finetune}: adapt a base to data with LoRA on the frozen base, or every weight. */
@Command(name = "finetune",
        description = {"Fine-tune BASE on DATA: LoRA pairs on the frozen base in its own dtype (default), or every weight "
                + "(--method full).",
                "BASE: a GGUF file (any dtype), a Hugging Face folder or a pretraining checkpoint. DATA (told by content): "
                        + "chat JSONL {\"messages\": [...]}, prompt/completion JSONL, plain text files, a built corpus folder, "
                        + "or classification JSONL/CSV {\"text\", \"label\"}.",
                "Writes OUT/adapter/ (PEFT) and OUT/adapter.gguf (llama.cpp), or OUT/model.gguf for --method full, with "
                        + "OUT/log.csv, OUT/loss.svg, OUT/checkpoint.plnt; --resume continues bit for bit."},
        sortOptions = false)
final class FinetuneCommand implements Callable<Integer> {

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "BASE", description = "The base: a GGUF file, a Hugging Face folder or a checkpoint.")
    Path base;

    @Parameters(index = "1", paramLabel = "DATA", description = "A data file or folder.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--method", paramLabel = "lora|full", description = "LoRA on the frozen base, or every weight (default lora).")
    String method;
    @Option(names = "--init", paramLabel = "base|random",
            description = "With --method full: start from the base's weights, or from fresh random ones of its shape (default base).")
    String init;
    @Option(names = "--task", paramLabel = "causal|chat|classify", description = "What to train (default: the data's own).")
    String task;
    @Option(names = "--rank", paramLabel = "N", description = "LoRA rank (default 16).")
    Integer rank;
    @Option(names = "--alpha", paramLabel = "X", description = "LoRA alpha: the pairs are scaled by alpha/rank (default 32).")
    Double alpha;
    @Option(names = "--dropout", paramLabel = "X", description = "Dropout on the LoRA pairs' input (default 0.05).")
    Double dropout;
    @Option(names = "--targets", paramLabel = "LIST", description = "Projections LoRA adapts (default q,k,v,o,gate,up,down).")
    String targets;
    @Option(names = "--rslora", negatable = true, description = "Scale by alpha/sqrt(rank) (rank-stabilised LoRA).")
    Boolean rsLora;
    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps (default: one epoch).")
    Long steps;
    @Option(names = "--epochs", paramLabel = "X", description = "Passes over the training examples, when --steps is not given (default 1).")
    Double epochs;
    @Option(names = "--batch", paramLabel = "N", description = "Examples per micro-batch (default 8).")
    Integer batch;
    @Option(names = "--accum", paramLabel = "N", description = "Micro-batches per optimizer step (default 1).")
    Integer accum;
    @Option(names = "--lr", paramLabel = "X", description = "Peak learning rate (default 2e-4 for lora, 2e-5 for full).")
    Double lr;
    @Option(names = "--min-lr", paramLabel = "X", description = "Final learning rate of the cosine (default lr/10).")
    Double minLr;
    @Option(names = "--warmup", paramLabel = "N", description = "Warm-up steps (default 3%% of the steps).")
    Long warmup;
    @Option(names = "--weight-decay", paramLabel = "X", description = "AdamW weight decay of matrices (default 0).")
    Double weightDecay;
    @Option(names = "--clip", paramLabel = "X", description = "Global gradient-norm clip, 0 for none (default 1.0).")
    Double clip;
    @Option(names = "--context", paramLabel = "N", description = "Input tokens per example (default: the base's, at most 512).")
    Integer context;
    @Option(names = "--val-fraction", paramLabel = "X", description = "Share of rows held out for validation (default 0.1).")
    Double valFraction;
    @Option(names = "--eval-every", paramLabel = "N", description = "Steps between validation losses (default 50).")
    Long evalEvery;
    @Option(names = "--eval-batches", paramLabel = "N", description = "Validation batches at most (default 16).")
    Integer evalBatches;
    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Steps between checkpoints (default 200).")
    Long checkpointEvery;
    @Option(names = "--seed", paramLabel = "N", description = "Seed of the pairs, the split, the batch order and dropout (default 1).")
    Long seed;
    @Option(names = "--skip-bad", description = "Skip malformed rows (and say how many) instead of stopping at the first.")
    Boolean skipBad;
    @Option(names = "--recompute", negatable = true, description = "Recompute each layer in backward: less memory, ~1/3 more compute.")
    Boolean recompute;
    @Option(names = "--resume", description = "Continue the run whose checkpoint is in --out.")
    boolean resume;
    @Option(names = "--plain", description = "Progress as plain lines even on a terminal (for logs).")
    boolean plain;

    FinetuneCommand(Console console) {
        this.console = console;
    }

    /** The settings given as flags, by config key. */
    private Map<String, String> flags() {
        Map<String, String> m = new LinkedHashMap<>();
        Object[] values = {method, init, task, rank, alpha, dropout, targets, rsLora, steps, epochs, batch, accum, lr, minLr,
                warmup, weightDecay, clip, context, valFraction, evalEvery, evalBatches, checkpointEvery, seed, skipBad,
                recompute};
        String[] keys = {"method", "init", "task", "rank", "alpha", "dropout", "targets", "rslora", "steps", "epochs", "batch",
                "grad-accum", "lr", "min-lr", "warmup", "weight-decay", "clip", "context", "val-fraction", "eval-every",
                "eval-batches", "checkpoint-every", "seed", "skip-bad", "recompute"};
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null) {
                m.put(keys[i], values[i].toString());
            }
        }
        if (steps != null && epochs == null) {
            m.put("epochs", "0");
        }
        return m;
    }

    @Override
    public Integer call() throws IOException {
        Finetuner.Base resolved = Finetuner.Base.resolve(base, out);
        try (ModelRuntime runtime = ModelRuntime.open(resolved.gguf(), null)) {
            ChatTemplate template = ChatTemplate.of(runtime);
            ChatRenderer renderer = template::render;
            Finetuner finetuner;
            try {
                finetuner = resume ? Finetuner.resume(resolved, data, out, flags(), runtime.tokenizer(), renderer)
                        : Finetuner.create(resolved, data, out, FinetuneConfig.defaults().with(flags(), "command line"),
                                runtime.tokenizer(), renderer);
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage(), e);
            }
            try (finetuner) {
                describe(finetuner, template.isFallback());
                PretrainCommand.ProgressView view = new PretrainCommand.ProgressView(console, !plain && console.interactive());
                Trainer.Result r = finetuner.run(view);
                view.finish();
                report(finetuner, r);
            }
        }
        return Main.OK;
    }

    private void describe(Finetuner f, boolean chatMl) {
        FinetuneConfig c = f.config();
        FinetuneData d = f.data();
        String what = c.lora() ? String.format(Locale.ROOT, "LoRA r=%d alpha=%s on %s", c.rank(), c.alpha(),
                String.join(",", c.targets())) : c.fromScratch() ? "every weight, from random weights of the shape" : "every weight";
        console.info("%s %s (%,d trained parameters) of %s, task %s", resume ? "resuming at step " + f.step() + ":"
                : "fine-tuning", what, f.trainableCount(), base, c.task());
        if (d != null) {
            console.info("data: %s, %s: %,d rows (%,d for validation), %,d training examples%s%s", data,
                    d.format().description(), d.rowCount(), d.validationRows(), d.train().size(),
                    d.dropped() > 0 ? String.format(Locale.ROOT, "; dropped, with nothing to learn within %d tokens: %,d row%s",
                            c.context(), d.dropped(), d.dropped() == 1 ? "" : "s") : "",
                    d.labels().isEmpty() ? "" : "; labels " + String.join(", ", d.labels()));
            if (d.skipped() > 0) {
                console.warn("skipped %,d malformed row%s (--skip-bad), the first: %s", d.skipped(), d.skipped() == 1 ? "" : "s",
                        d.skipReasons().getFirst());
            }
            if (chatMl && c.task().equals("chat")) {
                console.warn("%s has no chat template: conversations are rendered as ChatML", base);
            }
        } else {
            console.info("data: %s, a built corpus: %,d training windows of %d tokens", data, f.trainExamples(), c.context());
        }
        console.info("%d steps (batch %d x accum %d), lr %s -> %s, warm-up %d%s", c.steps(), c.batch(), c.gradAccum(),
                c.lr(), c.minLr(), c.warmup(), c.recompute() ? ", recomputing layers" : "");
    }

    private void report(Finetuner f, Trainer.Result r) {
        console.info("%s at step %d of %d; last validation loss %s; %s", r.completed() ? "finished" : "stopped", r.step(),
                f.config().steps(), Double.isNaN(r.lastValLoss()) ? "none" : String.format(Locale.ROOT, "%.4f", r.lastValLoss()),
                r.memory());
        if (!r.completed()) {
            console.info("continue with: plinth finetune %s %s --out %s --resume", base, data, out);
        }
        Path adapter = f.out().resolve(Finetuner.ADAPTER_DIR);
        Path gguf = f.out().resolve(Finetuner.ADAPTER_GGUF);
        Path model = f.out().resolve(Finetuner.MODEL_GGUF);
        if (!f.config().lora()) {
            console.out().println("model: " + model);
        }
        if (Files.isDirectory(adapter)) {
            console.out().println((f.config().lora() ? "adapter: " : "head: ") + adapter);
        }
        if (f.config().lora() && Files.isRegularFile(gguf)) {
            console.out().println("adapter gguf: " + gguf);
        }
        if (!f.base().gguf().toAbsolutePath().normalize().equals(base.toAbsolutePath().normalize())) {
            console.out().println("base gguf: " + f.base().gguf());
        }
        console.out().println("checkpoint: " + r.checkpoint());
        console.out().println("log: " + r.csv());
        console.out().println("plot: " + r.svg());
        console.out().flush();
    }
}
