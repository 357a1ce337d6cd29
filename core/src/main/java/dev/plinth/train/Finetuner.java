package dev.plinth.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.plinth.io.AtomicFiles;
import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.convert.GgufQuantizer;
import dev.plinth.model.convert.ModelConverter;
import dev.plinth.model.convert.QuantType;
import dev.plinth.model.lora.LoraAdapter;
import dev.plinth.model.lora.LoraGguf;
import dev.plinth.model.lora.PeftAdapters;
import dev.plinth.tensor.Tensor;
import dev.plinth.tensor.autograd.Variable;
import dev.plinth.text.Tokenizer;
import dev.plinth.train.corpus.DatasetCard;
import dev.plinth.train.data.ChatRenderer;
import dev.plinth.train.data.DataFormat;
import dev.plinth.train.data.DataReader;
import dev.plinth.train.data.ExampleBatches;
import dev.plinth.train.data.FinetuneData;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Fine-tunes a base with the shared training loop ({@link Trainer}): LoRA pairs on the frozen base
 * in its own dtype ({@code method = lora}), or every weight in F32 ({@code full}; with
 * {@code init = random} from fresh weights of the base's shape: the same architecture and
 * vocabulary trained from scratch, a baseline for what the base brings); next-token loss on
 * the learned tokens of the data ({@code causal}, {@code chat}) or a classification head
 * ({@code classify}).
 *
 * <pre>{@code
 * Finetuner.Base base = Finetuner.Base.resolve(Path.of("base.gguf"), out);
 * try (Finetuner f = Finetuner.create(base, Path.of("chat.jsonl"), out, FinetuneConfig.defaults(), tokenizer,
 *         ChatRenderer.CHATML)) {
 *     f.run(progress -> { });      // then out/adapter/ (PEFT) and out/adapter.gguf (llama.cpp)
 * }
 * }</pre>
 *
 * Files in the output folder: {@value Checkpoint#FILE_NAME}, {@code log.csv}, {@code loss.svg},
 * {@code config.properties} (the resolved settings), {@value #DATA_CARD} (what the data was: format,
 * files with their SHA-256, rows, skipped rows, split, tokens, labels), and at the end of a run:
 * for LoRA the PEFT folder {@value #ADAPTER_DIR}/ (with {@code lineage.json}: the base's digest and
 * the digests of the data card and the configuration) and, without a head, the llama.cpp LoRA GGUF
 * {@value #ADAPTER_GGUF} (with {@code adapter.lineage.json}); for full fine-tuning the new base
 * {@value #MODEL_GGUF} (F32; a head goes to {@value #ADAPTER_DIR}/ as a PEFT module to save).
 */
public final class Finetuner implements AutoCloseable {

    public static final String ADAPTER_DIR = "adapter";
    public static final String ADAPTER_GGUF = "adapter.gguf";
    public static final String MODEL_GGUF = "model.gguf";
    public static final String DATA_CARD = "data.json";
    /** The adapter metadata key of a classifier's labels (a JSON array of strings, in class order). */
    public static final String META_LABELS = "labels";
    /** The adapter metadata key of the input tokens per example it was trained with. */
    public static final String META_CONTEXT = "context";
    static final String LINEAGE = "lineage.json";
    private static final String BASE_RECORD = "base.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * The base a run trains on: a GGUF file, its digest as adapters record it
     * ({@link LoraAdapter#baseDigest} of what the user named) and a name for PEFT's
     * {@code base_model_name_or_path}.
     */
    public record Base(Path gguf, String digest, String name) {

        /**
         * {@code base} as a GGUF file: a GGUF as it is; a Hugging Face folder converted (matrices kept
         * F32, F16 or BF16) and a pretraining checkpoint ({@code checkpoint.plnt} or its run folder)
         * exported as F32 (as {@code plinth export} does, with the {@code tokenizer.json} beside it or
         * the one its run's {@value Pretrainer#CORPUS_FILE} names) to {@code out/base.gguf}, which a
         * rerun reuses. The digest is the GGUF's, the Hugging Face folder's, or the exported file's.
         */
        public static Base resolve(Path base, Path out) throws IOException {
            Path absolute = base.toAbsolutePath().normalize();
            Path checkpoint = Files.isDirectory(base) ? base.resolve(Checkpoint.FILE_NAME) : base;
            if (Checkpoint.isCheckpoint(checkpoint)) {
                Path gguf = out.resolve("base.gguf");
                if (!Files.isRegularFile(gguf)) {
                    Files.createDirectories(out);
                    BaseExport.writeGguf(Checkpoint.readModel(checkpoint), checkpointTokenizer(checkpoint), gguf, QuantType.F32);
                }
                return new Base(gguf, LoraAdapter.baseDigest(gguf), absolute.toString());
            }
            if (Files.isDirectory(base)) {
                Path gguf = out.resolve("base.gguf");
                if (!Files.isRegularFile(gguf)) {
                    Files.createDirectories(out);
                    ModelConverter.convert(base, null, gguf, ModelConverter.keptType(base), GgufQuantizer.Listener.NONE);
                }
                return new Base(gguf, LoraAdapter.baseDigest(base), absolute.toString());
            }
            if (!Files.isRegularFile(base)) {
                throw new NoSuchFileException(base.toString(), null, "no such base");
            }
            return new Base(base, LoraAdapter.baseDigest(base), absolute.toString());
        }

        private static Path checkpointTokenizer(Path checkpoint) throws IOException {
            Path run = checkpoint.toAbsolutePath().getParent();
            Path beside = run.resolve("tokenizer.json");
            if (Files.isRegularFile(beside)) {
                return beside;
            }
            Path record = run.resolve(Pretrainer.CORPUS_FILE);
            if (Files.isRegularFile(record)) {
                String named = JSON.readTree(record.toFile()).path("tokenizer").asText("");
                if (!named.isEmpty() && Files.isRegularFile(Path.of(named))) {
                    return Path.of(named);
                }
            }
            throw new NoSuchFileException(checkpoint.toString(), null, "no tokenizer.json beside the checkpoint and none "
                    + "named by its run's " + Pretrainer.CORPUS_FILE + "; copy the corpus's tokenizer.json beside it");
        }
    }

    private final Path out;
    private final Base base;
    private final FinetuneConfig config;
    private final ModelFile file;
    private final TrainableDecoder model;
    private final Source source;
    private final Trainer trainer;
    private final String dataCard;

    /** The training data: examples from rows, or a built corpus's token windows. */
    private record Source(Path data, FinetuneData rows, DatasetCard card, TokenWindows train, TokenWindows validation) {
        long trainExamples() {
            return rows != null ? rows.train().size() : train.count();
        }

        DataFormat.Task task() {
            return rows != null ? rows.task() : DataFormat.Task.CAUSAL;
        }

        void close() {
            if (train != null) {
                train.close();
                validation.close();
            }
        }
    }

    private Finetuner(Path out, Base base, FinetuneConfig config, ModelFile file, TrainableDecoder model, Source source,
                      long samplerState, Trainer.Position at) throws IOException {
        this.out = out;
        this.base = base;
        this.config = config;
        this.file = file;
        this.model = model;
        this.source = source;
        this.dataCard = dataCard();
        Map<String, Variable> trained = model.trainable();
        AdamW optimizer = config.optimizer(trained.values());
        Trainer.Schedule schedule = config.schedule();
        this.trainer = new Trainer(out, schedule, trained, optimizer, batches(samplerState), validation(), objective(),
                new Trainer.Identity(config.toProperties(), model.config().vocabSize()), title(), at);
    }

    /**
     * A new run on {@code base} and {@code data} (a file or folder in any {@link DataFormat}) into
     * {@code out}; refuses a folder that already holds a checkpoint. {@code tokenizer} and
     * {@code renderer} are the base's (the CLI passes its chat template, or ChatML).
     */
    public static Finetuner create(Base base, Path data, Path out, FinetuneConfig config, Tokenizer tokenizer,
                                   ChatRenderer renderer) throws IOException {
        Path ckpt = out.resolve(Checkpoint.FILE_NAME);
        if (Files.exists(ckpt)) {
            throw new FileAlreadyExistsException(ckpt.toString(), null,
                    "a checkpoint is already there; resume it (--resume) or choose another output folder");
        }
        return open(base, data, out, config, tokenizer, renderer, null);
    }

    /**
     * Continues the run whose checkpoint is in {@code out}, on the same base and data (both checked:
     * the base's digest, the data card). {@code overrides} may change keys outside
     * {@link FinetuneConfig#FIXED_ON_RESUME} (e.g. more {@code steps}).
     */
    public static Finetuner resume(Base base, Path data, Path out, Map<String, String> overrides, Tokenizer tokenizer,
                                   ChatRenderer renderer) throws IOException {
        Path ckpt = out.resolve(Checkpoint.FILE_NAME);
        if (!Files.exists(ckpt)) {
            throw new NoSuchFileException(ckpt.toString(), null, "no checkpoint to resume");
        }
        Checkpoint.Contents saved = Checkpoint.readContents(ckpt);
        if (!saved.finetune()) {
            throw new IllegalArgumentException(ckpt + " is a pretraining checkpoint; resume it with plinth pretrain");
        }
        FinetuneConfig was = FinetuneConfig.parse(saved.config(), ckpt + " (config)");
        for (String key : FinetuneConfig.FIXED_ON_RESUME) {
            String given = overrides.get(key);
            if (given != null && !was.with(Map.of(key, given), "--" + key).toMap().get(key).equals(was.toMap().get(key))) {
                throw new IllegalArgumentException(key + " is " + was.toMap().get(key) + " in " + ckpt
                        + "; a resumed run cannot change it");
            }
        }
        String recorded = JSON.readTree(out.resolve(BASE_RECORD).toFile()).path("digest").asText("");
        if (!recorded.equals(base.digest())) {
            throw new IllegalArgumentException(out + " was fine-tuning the base with sha256 " + recorded + "; "
                    + base.name() + " has " + base.digest());
        }
        return open(base, data, out, was.with(overrides, "command line"), tokenizer, renderer, saved);
    }

    private static Finetuner open(Base base, Path data, Path out, FinetuneConfig requested, Tokenizer tokenizer,
                                  ChatRenderer renderer, Checkpoint.Contents saved) throws IOException {
        ModelFile file = ModelFiles.open(base.gguf());
        Source source = null;
        try {
            TrainableDecoder model = requested.lora() ? TrainableDecoder.frozen(file)
                    : requested.fromScratch() ? TrainableDecoder.initialize(DecoderConfig.of(file),
                            file.tensor("output.weight") == null, requested.seed())
                    : TrainableDecoder.of(file);
            int context = requested.context(model.config().contextLength());
            source = source(data, requested, context, tokenizer, renderer, model.config().vocabSize());
            FinetuneConfig config = requested.resolved(source.task(), source.trainExamples(), model.config().contextLength());
            if (config.lora()) {
                model.addLora(config.loraSettings(), config.seed());
            }
            if (source.task() == DataFormat.Task.CLASSIFY) {
                model.addClassifier(source.rows().labels().size(), config.seed() + 1);
            }
            long samplerState = initialState(source, config);
            Trainer.Position at = Trainer.Position.fresh();
            if (saved != null) {
                restore(model.trainable(), saved, out);
                samplerState = saved.samplerState();
                at = new Trainer.Position(saved.step(), saved.tokensSeen(), saved.log(), saved.moments());
            }
            Files.createDirectories(out);
            Finetuner f = new Finetuner(out, base, config, file, model, source, samplerState, at);
            f.checkOrWriteRecords(saved != null);
            return f;
        } catch (IOException | RuntimeException e) {
            if (source != null) {
                source.close();
            }
            file.close();
            throw e;
        }
    }

    private static Source source(Path data, FinetuneConfig config, int context, Tokenizer tokenizer,
                                 ChatRenderer renderer, int vocab) throws IOException {
        if (DataReader.detect(data) != DataFormat.CORPUS) {
            FinetuneData rows = FinetuneData.load(data, new FinetuneData.Options(config.taskOrNull(), context,
                    config.skipBad(), config.valFraction(), config.seed()), tokenizer, renderer);
            return new Source(data, rows, null, null, null);
        }
        if (config.taskOrNull() != null && config.taskOrNull() != DataFormat.Task.CAUSAL) {
            throw new IllegalArgumentException(data + " is a built corpus, which trains --task causal");
        }
        DatasetCard card = DatasetCard.read(data.resolve("card.json"));
        if (card.vocabSize() > vocab) {
            throw new IllegalArgumentException(data + " was built with a vocabulary of " + card.vocabSize()
                    + " tokens; the base has " + vocab + ": build the corpus with the base's tokenizer");
        }
        TokenWindows train = TokenWindows.open(data, card.trainShards(), context + 1, card.vocabSize());
        try {
            TokenWindows validation = TokenWindows.open(data, card.validationShards(), context + 1, card.vocabSize());
            return new Source(data, null, card, train, validation);
        } catch (IOException | RuntimeException e) {
            train.close();
            throw e;
        }
    }

    private static long initialState(Source source, FinetuneConfig config) {
        return source.rows() != null ? 0 : BatchSampler.initialState(config.seed());
    }

    private static void restore(Map<String, Variable> trainable, Checkpoint.Contents saved, Path out) {
        if (!trainable.keySet().equals(saved.params().keySet())) {
            throw new IllegalArgumentException(out + ": the checkpoint trains " + saved.params().keySet().size()
                    + " tensors that are not this run's " + trainable.size());
        }
        trainable.forEach((name, v) -> {
            Variable s = saved.params().get(name);
            if (!Arrays.equals(s.shape(), v.shape())) {
                throw new IllegalArgumentException(out + ": " + name + " is " + Arrays.toString(s.shape())
                        + " in the checkpoint, " + Arrays.toString(v.shape()) + " in this run");
            }
            System.arraycopy(s.data(), 0, v.data(), 0, v.size());
        });
    }

    private Trainer.BatchSource batches(long state) {
        if (source.rows() != null) {
            return new ExampleBatches(source.rows().train(), config.batch(), config.seed(), pad(), state);
        }
        return new BatchSampler(source.train(), state).source(config.batch(), config.context());
    }

    private List<Trainer.Batch> validation() {
        if (source.rows() != null) {
            return ExampleBatches.fixed(source.rows().validation(), config.batch(), config.evalBatches(), pad());
        }
        return BatchSampler.spread(source.validation(), config.evalBatches(), config.batch(), config.context());
    }

    /** Fills padded input positions: any valid id does, since padding takes no loss and comes last. */
    private static int pad() {
        return 0;
    }

    private Trainer.Objective objective() {
        boolean classify = source.task() == DataFormat.Task.CLASSIFY;
        return (tape, batch, training) -> {
            TrainableDecoder.Pass pass = training ? TrainableDecoder.Pass.training(config.recompute(), batch.noise())
                    : TrainableDecoder.Pass.EVAL;
            return classify ? model.classifierLoss(tape, batch.inputs(), batch.targets(), Trainer.IGNORE, pass)
                    : model.loss(tape, batch.inputs(), batch.targets(), Trainer.IGNORE, pass);
        };
    }

    private String title() {
        return String.format(Locale.ROOT, "plinth finetune: %s, %s, %,d trained parameters", config.lora()
                ? "LoRA r=" + config.rank() : "full", config.task(), trainableCount());
    }

    // ---- records of the run ----

    /** The data card: what the data was and how it was read, as JSON text. */
    private String dataCard() throws IOException {
        Map<String, Object> card = new LinkedHashMap<>();
        Path data = source.data().toAbsolutePath().normalize();
        card.put("data", data.toString());
        if (source.rows() == null) {
            card.put("format", DataFormat.CORPUS.name().toLowerCase(Locale.ROOT));
            card.put("card", "sha256:" + LoraAdapter.baseDigest(data.resolve("card.json")));
            card.put("trainWindows", source.train().count());
            card.put("validationWindows", source.validation().count());
        } else {
            FinetuneData d = source.rows();
            card.put("format", d.format().name().toLowerCase(Locale.ROOT));
            card.put("task", d.task().cliName());
            List<Map<String, Object>> files = new ArrayList<>();
            for (Path f : d.files()) {
                files.add(Map.of("file", f.toAbsolutePath().normalize().toString(), "sha256", LoraAdapter.baseDigest(f)));
            }
            card.put("files", files);
            card.put("rows", d.rowCount());
            card.put("skipped", d.skipped());
            card.put("skipReasons", d.skipReasons());
            card.put("dropped", d.dropped());
            card.put("trainRows", d.trainRows());
            card.put("validationRows", d.validationRows());
            card.put("trainExamples", d.train().size());
            card.put("validationExamples", d.validation().size());
            card.put("trainTokens", d.train().stream().mapToLong(e -> e.inputs().length).sum());
            card.put("learnedTokens", d.train().stream().mapToLong(e -> e.learned()).sum());
            card.put("labels", d.labels());
        }
        card.put("context", config.context());
        card.put("valFraction", config.valFraction());
        card.put("seed", config.seed());
        return JSON.writeValueAsString(card) + "\n";
    }

    /** Writes the base record, the data card and the configuration; a resumed run checks the first two first. */
    private void checkOrWriteRecords(boolean resuming) throws IOException {
        Path cardFile = out.resolve(DATA_CARD);
        if (resuming && Files.isRegularFile(cardFile) && !Files.readString(cardFile).equals(dataCard)) {
            throw new IllegalArgumentException(source.data() + " is not the data this run began with ("
                    + cardFile + " differs); a resumed run continues on the same data");
        }
        AtomicFiles.write(out.resolve(BASE_RECORD), JSON.writeValueAsString(Map.of("base", base.name(), "gguf",
                base.gguf().toAbsolutePath().normalize().toString(), "digest", base.digest())) + "\n");
        AtomicFiles.write(cardFile, dataCard);
        AtomicFiles.write(out.resolve("config.properties"), config.toProperties());
    }


    // ---- the run ----

    /** Asks the run to stop after the step in progress (thread-safe); the outputs are written as of then. */
    public void requestStop() {
        trainer.requestStop();
    }

    /**
     * Trains until the configured steps, {@link #requestStop} or Ctrl-C, then writes the outputs
     * (adapter or new base) from the weights as they are.
     */
    public Trainer.Result run(Trainer.Listener listener) throws IOException {
        Trainer.Result r = trainer.run(listener);
        writeOutputs();
        return r;
    }

    private void writeOutputs() throws IOException {
        Map<String, String> lineage = lineage();
        if (!config.lora()) {
            Map<String, Variable> weights = model.parameters();
            ModelConverter.convert(base.gguf(), null, out.resolve(MODEL_GGUF), QuantType.F32, t -> {
                Variable w = weights.get(t.name());
                return w == null ? t : Tensor.ofFloats(t.name(), w.data(), t.shape());
            }, GgufQuantizer.Listener.NONE);
            if (model.classifier() == null) {
                return;
            }
        }
        LoraAdapter adapter = model.adapter(metadata(lineage));
        Path folder = out.resolve(ADAPTER_DIR);
        PeftAdapters.write(adapter, folder, model.config());
        AtomicFiles.write(folder.resolve(LINEAGE), JSON.writeValueAsString(lineage) + "\n");
        if (adapter.wholeTensors().isEmpty()) {
            LoraGguf.write(adapter, out.resolve(ADAPTER_GGUF));
            AtomicFiles.write(out.resolve("adapter.lineage.json"), JSON.writeValueAsString(lineage) + "\n");
        }
    }

    /** What products read of an adapter's training: base, data card and configuration digests, with their files. */
    private Map<String, String> lineage() throws IOException {
        Map<String, String> record = new LinkedHashMap<>();
        record.put("base", "sha256:" + base.digest());
        Path card = source.rows() == null ? source.data().resolve("card.json") : out.resolve(DATA_CARD);
        record.put("data", "sha256:" + LoraAdapter.baseDigest(card));
        record.put("dataSource", card.toAbsolutePath().normalize().toString());
        Path cfg = out.resolve("config.properties");
        record.put("config", "sha256:" + LoraAdapter.baseDigest(cfg));
        record.put("configSource", cfg.toAbsolutePath().normalize().toString());
        return record;
    }

    private Map<String, String> metadata(Map<String, String> lineage) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        // a head of a full fine-tune reads the new base's hidden states
        m.put(LoraAdapter.META_BASE_DIGEST, config.lora() ? base.digest() : LoraAdapter.baseDigest(out.resolve(MODEL_GGUF)));
        m.put(LoraAdapter.META_BASE_NAME, base.name());
        m.put(LoraAdapter.META_TASK, config.task());
        m.put(LoraAdapter.META_DROPOUT, Double.toString(config.lora() ? config.dropout() : 0));
        m.put(META_CONTEXT, Integer.toString(config.context()));
        m.put("data.digest", lineage.get("data"));
        m.put("config.digest", lineage.get("config"));
        if (source.rows() != null && !source.rows().labels().isEmpty()) {
            m.put(META_LABELS, new ObjectMapper().writeValueAsString(source.rows().labels()));
        }
        return m;
    }

    // ---- what callers report ----

    public FinetuneConfig config() {
        return config;
    }

    public Base base() {
        return base;
    }

    public TrainableDecoder model() {
        return model;
    }

    /** The data as read (null for a built corpus). */
    public FinetuneData data() {
        return source.rows();
    }

    /** Training examples (windows of a built corpus). */
    public long trainExamples() {
        return source.trainExamples();
    }

    public long step() {
        return trainer.step();
    }

    public long trainableCount() {
        return model.trainable().values().stream().mapToLong(Variable::size).sum();
    }

    /** The folder outputs go to. */
    public Path out() {
        return out;
    }

    @Override
    public void close() {
        source.close();
        trainer.close();
        file.close();
    }
}
