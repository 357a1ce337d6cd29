package dev.plinth.train;

import dev.plinth.tensor.autograd.Tape;
import dev.plinth.tensor.autograd.Variable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The one training loop, shared by pretraining ({@link Pretrainer}) and fine-tuning
 * ({@link Finetuner}): batches from a {@link BatchSource}, gradient accumulation, warm-up + cosine
 * learning rate, global-norm clipping, AdamW over the trainable parameters, validation loss on
 * fixed batches, a CSV log and an SVG plot of the losses, and atomic checksummed checkpoints
 * ({@link Checkpoint}) from which a resumed run continues bit for bit. Ctrl-C (a JVM shutdown)
 * stops the run after the step in progress and saves a checkpoint.
 *
 * <p>What differs between runs is given: the batch source and its validation batches, the
 * trainable parameters (every weight of a pretraining run; LoRA pairs and a head when
 * fine-tuning on a frozen base) and the {@link Objective} that turns a batch into a loss.
 */
public final class Trainer implements AutoCloseable {

    /** What one optimizer step did; {@code valLoss} is NaN on steps without a validation pass. */
    public record Progress(long step, long steps, double lr, float trainLoss, double valLoss, double lastValLoss,
                           double tokensPerSecond, double gradNorm, double etaSeconds) {
    }

    /** Receives progress; called on the training thread. */
    public interface Listener {
        void onStep(Progress progress);

        /** A checkpoint was written at {@code step}. */
        default void onCheckpoint(Path file, long step) {
        }
    }

    /** How a run ended: at {@code step}, {@code completed} unless stopped early. */
    public record Result(long step, boolean completed, double lastValLoss, long tokensSeen, Path checkpoint, Path csv,
                         Path svg, MemoryReport memory) {
    }

    /**
     * Sequences of one length: {@code targets[b][t]} is what {@code inputs[b][0..t]} should predict,
     * or {@link #IGNORE} where no loss is taken; {@code tokens} counts the tokens it trains on (for
     * throughput), {@code noise} seeds what is random in the forward pass (dropout) for this batch.
     */
    public record Batch(int[][] inputs, int[][] targets, long tokens, long noise) {
    }

    /** The target of positions that take no loss (PyTorch's default ignore index). */
    public static final int IGNORE = -100;

    /** Where training batches come from; its whole position is one long, which checkpoints keep. */
    public interface BatchSource {
        /** The next micro-batch. */
        Batch next();

        /** The position to resume from: a source rebuilt with it continues with the same batches. */
        long state();
    }

    /** The loss of a batch, recorded on {@code tape}; {@code training} is false for validation (no dropout). */
    @FunctionalInterface
    public interface Objective {
        Variable loss(Tape tape, Batch batch, boolean training);
    }

    /** The optimizer schedule: steps, accumulation, learning rates, clipping, and when to validate and save. */
    public record Schedule(long steps, int gradAccum, double lr, double minLr, long warmup, double clip, long evalEvery,
                           long checkpointEvery) {
    }

    /**
     * What a checkpoint records besides the step, the parameters and the optimizer: the run's
     * configuration as properties text and the vocabulary size.
     */
    public record Identity(String config, int vocabSize) {
    }

    /** Where a resumed run stands (all zero and empty for a fresh one). */
    public record Position(long step, long tokensSeen, List<TrainingLog.Row> log, Map<String, AdamW.Moments> moments) {
        public static Position fresh() {
            return new Position(0, 0, List.of(), Map.of());
        }
    }

    private static final long STOP_WAIT_SECONDS = 600;

    private final Path out;
    private final Schedule schedule;
    private final Map<String, Variable> params;
    private final AdamW optimizer;
    private final BatchSource train;
    private final List<Batch> validation;
    private final Objective objective;
    private final Identity identity;
    private final String plotTitle;
    private final TrainingLog log;
    private long step;
    private long tokensSeen;
    private long liveHeapPeak;
    private volatile boolean stopRequested;
    private final CountDownLatch finished = new CountDownLatch(1);

    /**
     * A run writing into {@code out}, training {@code params} (by name, in checkpoint order) with
     * {@code optimizer} (built over the same parameters), from {@code at}.
     */
    public Trainer(Path out, Schedule schedule, Map<String, Variable> params, AdamW optimizer, BatchSource train,
                   List<Batch> validation, Objective objective, Identity identity, String plotTitle, Position at) {
        this.out = out;
        this.schedule = schedule;
        this.params = new LinkedHashMap<>(params);
        this.optimizer = optimizer;
        this.train = train;
        this.validation = List.copyOf(validation);
        this.objective = objective;
        this.identity = identity;
        this.plotTitle = plotTitle;
        this.log = new TrainingLog(at.log());
        this.step = at.step();
        this.tokensSeen = at.tokensSeen();
        at.moments().forEach((name, m) -> {
            Variable p = params.get(name);
            if (p == null) {
                throw new IllegalArgumentException("the checkpoint has optimizer state for " + name
                        + ", which this run does not train");
            }
            optimizer.restore(p, m.m(), m.v(), m.step());
        });
    }

    /** Asks the run to stop after the step in progress and save a checkpoint (thread-safe). */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Trains until {@link Schedule#steps} or {@link #requestStop}; Ctrl-C (a JVM shutdown) also
     * stops it after the current step, and the shutdown waits for the checkpoint and then for
     * {@link #close} (at most ten minutes), so that the caller can report where things are.
     */
    public Result run(Listener listener) throws IOException {
        MemoryReport.resetPeaks();
        Thread hook = new Thread(() -> {
            requestStop();
            try {
                finished.await(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "plinth-train-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            boolean completed = loop(listener);
            return new Result(step, completed, log.lastValLoss(), tokensSeen, checkpointFile(), csvFile(), svgFile(),
                    MemoryReport.measure(liveHeapPeak));
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
                finished.countDown();
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook holds the JVM until close(), so that the caller can still report
            }
        }
    }

    private boolean loop(Listener listener) throws IOException {
        List<Variable> trained = new ArrayList<>(params.values());
        double emaStepSeconds = Double.NaN;
        long savedAt = step; // a resumed run with no steps left rewrites nothing
        while (step < schedule.steps() && !stopRequested) {
            long t0 = System.nanoTime();
            double lr = LearningRate.warmupCosine(step, schedule.lr(), schedule.minLr(), schedule.warmup(), schedule.steps());
            long tokensBefore = tokensSeen;
            float trainLoss = trainStep(trained);
            double norm = schedule.clip() > 0 ? Gradients.clipGlobalNorm(trained, schedule.clip())
                    : Gradients.globalNorm(trained);
            optimizer.step(lr);
            liveHeapPeak = Math.max(liveHeapPeak, MemoryReport.liveHeap());
            Gradients.zero(trained);
            step++;
            double seconds = (System.nanoTime() - t0) / 1e9;
            emaStepSeconds = Double.isNaN(emaStepSeconds) ? seconds : 0.9 * emaStepSeconds + 0.1 * seconds;
            boolean evaluate = step == schedule.steps() || (schedule.evalEvery() > 0 && step % schedule.evalEvery() == 0);
            double val = evaluate ? validationLoss() : Double.NaN;
            double tps = (tokensSeen - tokensBefore) / seconds;
            log.add(new TrainingLog.Row(step, lr, trainLoss, val, tps, norm));
            listener.onStep(new Progress(step, schedule.steps(), lr, trainLoss, val, log.lastValLoss(), tps, norm,
                    emaStepSeconds * (schedule.steps() - step)));
            boolean due = step == schedule.steps()
                    || (schedule.checkpointEvery() > 0 && step % schedule.checkpointEvery() == 0);
            if (due || stopRequested) {
                save(listener);
                savedAt = step;
            } else if (evaluate) {
                writeLogs();
            }
        }
        if (savedAt != step) {
            save(listener);
        }
        return step >= schedule.steps();
    }

    /** Forward and backward over every micro-batch; returns their mean loss. */
    private float trainStep(List<Variable> trained) {
        Gradients.zero(trained);
        double sum = 0;
        for (int micro = 0; micro < schedule.gradAccum(); micro++) {
            Batch batch = train.next();
            Tape tape = new Tape();
            Variable loss = objective.loss(tape, batch, true);
            tape.backward(loss, 1f / schedule.gradAccum());
            sum += loss.data()[0];
            tokensSeen += batch.tokens();
        }
        return (float) (sum / schedule.gradAccum());
    }

    /** Mean loss over the validation batches (the same every time); NaN when there are none. */
    double validationLoss() {
        if (validation.isEmpty()) {
            return Double.NaN;
        }
        double sum = 0;
        for (Batch batch : validation) {
            sum += objective.loss(Tape.noGrad(), batch, false).data()[0];
        }
        return sum / validation.size();
    }

    private void save(Listener listener) throws IOException {
        Map<String, AdamW.Moments> moments = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            AdamW.Moments m = optimizer.moments(p);
            if (m != null) {
                moments.put(name, m);
            }
        });
        Checkpoint.write(checkpointFile(), new Checkpoint.Contents(identity.config(), identity.vocabSize(), step,
                train.state(), tokensSeen, log.rows(), params, moments));
        writeLogs();
        listener.onCheckpoint(checkpointFile(), step);
    }

    private void writeLogs() throws IOException {
        log.writeCsv(csvFile());
        log.writeSvg(svgFile(), plotTitle);
    }

    /** Optimizer steps done. */
    public long step() {
        return step;
    }

    /** The parameters being trained (live), by name. */
    public Map<String, Variable> parameters() {
        return java.util.Collections.unmodifiableMap(params);
    }

    public Path checkpointFile() {
        return out.resolve(Checkpoint.FILE_NAME);
    }

    public Path csvFile() {
        return out.resolve("log.csv");
    }

    public Path svgFile() {
        return out.resolve("loss.svg");
    }

    /** After a Ctrl-C, lets the JVM's shutdown proceed. */
    @Override
    public void close() {
        finished.countDown();
    }
}
