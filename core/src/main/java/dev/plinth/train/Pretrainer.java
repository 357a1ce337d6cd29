package dev.plinth.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.plinth.io.AtomicFiles;
import dev.plinth.tensor.autograd.Variable;
import dev.plinth.train.corpus.DatasetCard;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pretrains a llama-family decoder on a built corpus (a folder with {@code card.json} and its
 * train/validation token shards) with the shared training loop ({@link Trainer}): fresh weights,
 * random batches of {@code context + 1}-token windows ({@link BatchSampler}), validation loss on
 * fixed windows of the validation shards, every weight trained, and checkpoints from which
 * {@link #resume} continues bit for bit.
 *
 * <pre>{@code
 * try (Pretrainer t = Pretrainer.create(corpus, out, PretrainConfig.read(recipe))) {
 *     Trainer.Result r = t.run(progress -> System.err.println(progress.step()));
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

    /** The run folder's record of its corpus, for lineage. */
    public static final String CORPUS_FILE = "corpus.json";

    private final Path corpus;
    private final Path out;
    private final DatasetCard card;
    private final PretrainConfig config;
    private final TrainableDecoder model;
    private final TokenWindows train;
    private final TokenWindows validation;
    private final Trainer trainer;

    private Pretrainer(Path corpus, Path out, DatasetCard card, PretrainConfig config, TrainableDecoder model,
                       TokenWindows train, TokenWindows validation, long samplerState, Trainer.Position at) {
        this.corpus = corpus;
        this.out = out;
        this.card = card;
        this.config = config;
        this.model = model;
        this.train = train;
        this.validation = validation;
        AdamW optimizer = config.optimizer(model.parameters().values());
        Trainer.Schedule schedule = config.schedule();
        Trainer.Objective loss = (tape, batch, training) -> model.loss(tape, batch.inputs(), batch.targets(), -1,
                training && config.recompute());
        this.trainer = new Trainer(out, schedule, model.parameters(), optimizer,
                new BatchSampler(train, samplerState).source(config.batch(), config.context()),
                BatchSampler.spread(validation, config.evalBatches(), config.batch(), config.context()), loss, new Trainer.Identity(config.toProperties(), card.vocabSize()),
                String.format(java.util.Locale.ROOT, "plinth pretrain: %,d parameters, %s", parameterCount(),
                        corpus.getFileName()), at);
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
        return open(corpus, out, card, config, model, BatchSampler.initialState(config.seed()), Trainer.Position.fresh());
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
        return open(corpus, out, card, config, s.model(), s.samplerState(),
                new Trainer.Position(s.step(), s.tokensSeen(), s.log(), s.moments()));
    }

    private static Pretrainer open(Path corpus, Path out, DatasetCard card, PretrainConfig config, TrainableDecoder model,
                                   long samplerState, Trainer.Position at) throws IOException {
        int window = config.context() + 1;
        TokenWindows train = TokenWindows.open(corpus, card.trainShards(), window, card.vocabSize());
        TokenWindows validation = null;
        try {
            validation = TokenWindows.open(corpus, card.validationShards(), window, card.vocabSize());
            Files.createDirectories(out);
            return new Pretrainer(corpus, out, card, config, model, train, validation, samplerState, at);
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
        trainer.requestStop();
    }

    /**
     * Writes {@code config.properties} and {@value #CORPUS_FILE}, then trains ({@link Trainer#run})
     * until {@link PretrainConfig#steps}, {@link #requestStop} or Ctrl-C.
     */
    public Trainer.Result run(Trainer.Listener listener) throws IOException {
        AtomicFiles.write(out.resolve("config.properties"), config.toProperties());
        AtomicFiles.write(out.resolve(CORPUS_FILE), corpusRecord());
        return trainer.run(listener);
    }

    /** Mean loss over the fixed validation batches; NaN when the corpus has none. */
    double validationLoss() {
        return trainer.validationLoss();
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
        return trainer.step();
    }

    public long parameterCount() {
        return model.parameters().values().stream().mapToLong(Variable::size).sum();
    }

    /** Tokens in the training shards. */
    public long trainTokens() {
        return train.tokens();
    }

    public Path checkpointFile() {
        return trainer.checkpointFile();
    }

    public Path csvFile() {
        return trainer.csvFile();
    }

    public Path svgFile() {
        return trainer.svgFile();
    }

    /** Closes the shards; after a Ctrl-C, lets the JVM's shutdown proceed. */
    @Override
    public void close() {
        train.close();
        validation.close();
        trainer.close();
    }
}
