package dev.plinth.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.plinth.io.AtomicFiles;
import dev.plinth.tensor.autograd.Tape;
import dev.plinth.tensor.autograd.Variable;
import dev.plinth.train.corpus.DatasetCard;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Pretrains a llama-family decoder on a built corpus (a folder with {@code card.json} and its
 * train/validation token shards): random batches of {@code context + 1}-token windows, gradient
 * accumulation, warm-up + cosine learning rate, global-norm clipping, AdamW, validation loss on
 * fixed windows, a CSV log and an SVG plot of the losses, and checkpoints from which
 * {@link #resume} continues bit for bit.
 *
 * <pre>{@code
 * try (Pretrainer t = Pretrainer.create(corpus, out, PretrainConfig.read(recipe))) {
 *     Pretrainer.Result r = t.run(progress -> System.err.println(progress.step()));
 *     TrainableDecoder base = t.model();     // e.g. to export it with t.tokenizer()
 * }
 * }</pre>
 *
 * Files in the output folder: {@value Checkpoint#FILE_NAME}, {@code log.csv}, {@code loss.svg},
 * {@code config.properties} (the effective configuration) and {@value #CORPUS_FILE} (which corpus the
 * run trains on: {@code corpus}, its absolute folder, {@code card}, the SHA-256 of its
 * {@code card.json} as {@code sha256:<hex>}, and {@code tokenizer}, the tokenizer file its card names,
 * when it exists), which a product's lineage reads.
 */
public final class Pretrainer implements AutoCloseable {

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

    private static final long STOP_WAIT_SECONDS = 600;

    /** The run folder's record of its corpus, for lineage. */
    public static final String CORPUS_FILE = "corpus.json";

    private final Path corpus;
    private final Path out;
    private final DatasetCard card;
    private final PretrainConfig config;
    private final TrainableDecoder model;
    private final AdamW optimizer;
    private final TokenWindows train;
    private final TokenWindows validation;
    private final BatchSampler sampler;
    private final TrainingLog log;
    private long step;
    private long tokensSeen;
    private long liveHeapPeak;
    private volatile boolean stopRequested;
    private final CountDownLatch finished = new CountDownLatch(1);

    private Pretrainer(Path corpus, Path out, DatasetCard card, PretrainConfig config, TrainableDecoder model,
                       TokenWindows train, TokenWindows validation, long samplerState, long step, long tokensSeen,
                       List<TrainingLog.Row> log) {
        this.corpus = corpus;
        this.out = out;
        this.card = card;
        this.config = config;
        this.model = model;
        this.train = train;
        this.validation = validation;
        this.sampler = new BatchSampler(train, samplerState);
        this.step = step;
        this.tokensSeen = tokensSeen;
        this.log = new TrainingLog(log);
        this.optimizer = new AdamW(model.parameters().values(),
                new AdamW.Settings(config.beta1(), config.beta2(), 1e-8, config.weightDecay()), AdamW.decayMatrices(true));
    }

    /** A new run with fresh weights; refuses an output folder that already holds a checkpoint. */
    public static Pretrainer create(Path corpus, Path out, PretrainConfig config) throws IOException {
        Path ckpt = out.resolve(Checkpoint.FILE_NAME);
        if (Files.exists(ckpt)) {
            throw new FileAlreadyExistsException(ckpt.toString(), null,
                    "a checkpoint is already there; resume it (--resume) or choose another output folder");
        }
        DatasetCard card = readCard(corpus);
        TrainableDecoder model = TrainableDecoder.initialize(config.decoder(card.vocabSize()), config.tied(), config.seed());
        return open(corpus, out, card, config, model, BatchSampler.initialState(config.seed()), 0, 0, List.of());
    }

    /**
     * Continues the run whose checkpoint is in {@code out}. {@code overrides} may change keys
     * outside {@link PretrainConfig#FIXED_ON_RESUME} (e.g. more {@code steps}); the result then
     * differs from an uninterrupted run from the point where they take effect.
     */
    public static Pretrainer resume(Path corpus, Path out, Map<String, String> overrides) throws IOException {
        Path ckpt = out.resolve(Checkpoint.FILE_NAME);
        if (!Files.exists(ckpt)) {
            throw new NoSuchFileException(ckpt.toString(), null, "no checkpoint to resume");
        }
        Checkpoint.State s = Checkpoint.read(ckpt);
        Map<String, String> saved = s.config().toMap();
        for (String key : PretrainConfig.FIXED_ON_RESUME) {
            if (overrides.containsKey(key) && !overrides.get(key).equals(saved.get(key))) {
                PretrainConfig probe = s.config().with(Map.of(key, overrides.get(key)), "--" + key);
                if (!probe.toMap().get(key).equals(saved.get(key))) {
                    throw new IllegalArgumentException(key + " is " + saved.get(key) + " in " + ckpt
                            + "; a resumed run cannot change it");
                }
            }
        }
        PretrainConfig config = s.config().with(overrides, "command line");
        DatasetCard card = readCard(corpus);
        if (card.vocabSize() != s.model().config().vocabSize()) {
            throw new IllegalArgumentException(corpus + " has a vocabulary of " + card.vocabSize() + ", the checkpoint's model "
                    + s.model().config().vocabSize());
        }
        Pretrainer t = open(corpus, out, card, config, s.model(), s.samplerState(), s.step(), s.tokensSeen(), s.log());
        Map<String, Variable> params = s.model().parameters();
        s.moments().forEach((name, m) -> t.optimizer.restore(params.get(name), m.m(), m.v(), m.step()));
        return t;
    }

    private static Pretrainer open(Path corpus, Path out, DatasetCard card, PretrainConfig config, TrainableDecoder model,
                                   long samplerState, long step, long tokensSeen, List<TrainingLog.Row> log) throws IOException {
        int window = config.context() + 1;
        TokenWindows train = TokenWindows.open(corpus, card.trainShards(), window, card.vocabSize());
        TokenWindows validation = null;
        try {
            validation = TokenWindows.open(corpus, card.validationShards(), window, card.vocabSize());
            Files.createDirectories(out);
            return new Pretrainer(corpus, out, card, config, model, train, validation, samplerState, step, tokensSeen, log);
        } catch (IOException | RuntimeException e) {
            train.close();
            if (validation != null) {
                validation.close();
            }
            throw e;
        }
    }

    private static DatasetCard readCard(Path corpus) throws IOException {
        Path file = corpus.resolve("card.json");
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "not a built corpus (no card.json)");
        }
        return DatasetCard.read(file);
    }

    /** Asks the run to stop after the step in progress and save a checkpoint (thread-safe). */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Trains until {@link PretrainConfig#steps} or {@link #requestStop}; Ctrl-C (a JVM shutdown)
     * also stops it after the current step, and the shutdown waits for the checkpoint and then
     * for {@link #close} (at most ten minutes), so that the caller can report where things are.
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
        }, "plinth-pretrain-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            writeText(out.resolve("config.properties"), config.toProperties());
            writeText(out.resolve(CORPUS_FILE), corpusRecord());
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
        List<Variable> params = new ArrayList<>(model.parameters().values());
        double emaStepSeconds = Double.NaN;
        long savedAt = step; // a resumed run with no steps left rewrites nothing
        while (step < config.steps() && !stopRequested) {
            long t0 = System.nanoTime();
            double lr = LearningRate.warmupCosine(step, config.lr(), config.minLr(), config.warmup(), config.steps());
            float trainLoss = trainStep(params, lr);
            double norm = config.clip() > 0 ? Gradients.clipGlobalNorm(params, config.clip()) : Gradients.globalNorm(params);
            optimizer.step(lr);
            liveHeapPeak = Math.max(liveHeapPeak, MemoryReport.liveHeap());
            Gradients.zero(params);
            step++;
            tokensSeen += config.tokensPerStep();
            double seconds = (System.nanoTime() - t0) / 1e9;
            emaStepSeconds = Double.isNaN(emaStepSeconds) ? seconds : 0.9 * emaStepSeconds + 0.1 * seconds;
            boolean evaluate = step == config.steps() || (config.evalEvery() > 0 && step % config.evalEvery() == 0);
            double val = evaluate ? validationLoss() : Double.NaN;
            double tps = config.tokensPerStep() / seconds;
            log.add(new TrainingLog.Row(step, lr, trainLoss, val, tps, norm));
            listener.onStep(new Progress(step, config.steps(), lr, trainLoss, val, log.lastValLoss(), tps, norm,
                    emaStepSeconds * (config.steps() - step)));
            boolean due = step == config.steps() || (config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0);
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
        return step >= config.steps();
    }

    /** Forward and backward over every micro-batch; returns their mean loss. */
    private float trainStep(List<Variable> params, double lr) {
        Gradients.zero(params);
        double sum = 0;
        for (int micro = 0; micro < config.gradAccum(); micro++) {
            int[][] windows = sampler.next(config.batch());
            Tape tape = new Tape();
            Variable loss = model.loss(tape, BatchSampler.inputs(windows), BatchSampler.targets(windows), -1,
                    config.recompute());
            tape.backward(loss, 1f / config.gradAccum());
            sum += loss.data()[0];
        }
        return (float) (sum / config.gradAccum());
    }

    /**
     * Mean loss over {@code evalBatches × batch} validation windows spread evenly over the
     * validation shards (the same windows every time); NaN when the corpus has none.
     */
    double validationLoss() {
        long count = validation.count();
        if (count == 0) {
            return Double.NaN;
        }
        int n = config.evalBatches() * config.batch();
        double sum = 0;
        for (int b = 0; b < config.evalBatches(); b++) {
            int[][] windows = new int[config.batch()][];
            for (int i = 0; i < windows.length; i++) {
                long k = (long) b * config.batch() + i;
                windows[i] = validation.window(Math.multiplyExact(k, count) / n);
            }
            Variable loss = model.loss(Tape.noGrad(), BatchSampler.inputs(windows), BatchSampler.targets(windows), -1);
            sum += loss.data()[0];
        }
        return sum / config.evalBatches();
    }

    private void save(Listener listener) throws IOException {
        Map<String, AdamW.Moments> moments = new LinkedHashMap<>();
        model.parameters().forEach((name, p) -> {
            AdamW.Moments m = optimizer.moments(p);
            if (m != null) {
                moments.put(name, m);
            }
        });
        Checkpoint.write(checkpointFile(), new Checkpoint.State(config, model, step, sampler.state(), tokensSeen,
                log.rows(), moments));
        writeLogs();
        listener.onCheckpoint(checkpointFile(), step);
    }

    private void writeLogs() throws IOException {
        log.writeCsv(csvFile());
        log.writeSvg(svgFile(), String.format(java.util.Locale.ROOT, "plinth pretrain: %,d parameters, %s",
                parameterCount(), corpus.getFileName()));
    }

    private static void writeText(Path file, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(b)));
    }

    private String corpusRecord() throws IOException {
        Map<String, String> record = new LinkedHashMap<>();
        Path folder = corpus.toAbsolutePath().normalize();
        record.put("corpus", folder.toString());
        record.put("card", "sha256:" + sha256(folder.resolve("card.json")));
        Path tok = tokenizer();
        if (tok != null) {
            record.put("tokenizer", tok.toAbsolutePath().normalize().toString());
        }
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(record) + "\n";
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The model being trained (live: after {@link #run}, the final weights). */
    public TrainableDecoder model() {
        return model;
    }

    public PretrainConfig config() {
        return config;
    }

    /** The corpus's card (vocabulary, eos id, tokenizer name, shards). */
    public DatasetCard card() {
        return card;
    }

    /**
     * The tokenizer the corpus was built with, when its card names a file that exists (as given,
     * or relative to the corpus folder); null otherwise.
     */
    public Path tokenizer() {
        String name = card.tokenizer();
        if (name == null || name.isBlank()) {
            return null;
        }
        try {
            for (Path p : new Path[] {corpus.resolve(name), Path.of(name)}) {
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
        return null;
    }

    /** Optimizer steps done. */
    public long step() {
        return step;
    }

    public long parameterCount() {
        return model.parameters().values().stream().mapToLong(Variable::size).sum();
    }

    /** Tokens in the training shards. */
    public long trainTokens() {
        return train.tokens();
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

    /** Closes the shards; after a Ctrl-C, lets the JVM's shutdown proceed. */
    @Override
    public void close() {
        train.close();
        validation.close();
        finished.countDown();
    }
}
