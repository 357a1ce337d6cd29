package dev.plinth.cli;

import dev.plinth.model.TokenizerLoader;
import dev.plinth.text.Tokenizer;
import dev.plinth.train.corpus.CorpusBuilder;
import dev.plinth.train.corpus.DatasetCard;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code plinth corpus build}: sources to token shards and a dataset card. */
@Command(name = "build",
        description = {"Turn sources into token shards with a dataset card.",
                "Reads the sources in order, normalises, drops exact and near duplicates (MinHash), holds out a validation "
                        + "split, tokenizes and packs into PLNTSHRD token shards (train-NNNNN.bin, validation-NNNNN.bin) with a "
                        + "dataset card (card.json, card.md) in DIR, replacing an earlier build there; prints the card as a table. "
                        + "A tokenizer.json is copied into DIR (with its tokenizer_config.json) so the corpus names its own tokenizer.",
                "A source is NAME=PATH[:WEIGHT][,jsonl-field=F][,ext=A+B][,paragraphs]: PATH a text file, a .jsonl file, a "
                        + ".zip/.jar of sources or a folder of any of these; WEIGHT (default 1) the expected number of times each "
                        + "training document is written (2 doubles the source, 0.5 keeps about half; validation documents once)."})
final class CorpusBuildCommand implements Callable<Integer> {

    static final String TOKENIZER_JSON = "tokenizer.json";

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--tokenizer", required = true, paramLabel = "FILE",
            description = "tokenizer.json (e.g. from 'plinth tokenizer train'), a GGUF file or a Hugging Face folder.")
    Path tokenizer;

    @Option(names = "--source", required = true, paramLabel = "SPEC", converter = SpecConverter.class,
            description = "NAME=PATH[:WEIGHT][,jsonl-field=F][,ext=A+B][,paragraphs]; repeat for a mixture.")
    List<SourceSpec> sources;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Folder for shards and card.")
    Path output;

    @Option(names = "--val-fraction", paramLabel = "F", defaultValue = "0.01",
            description = "Fraction of documents held out for validation, in [0, 1) (default 0.01).")
    double validationFraction;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the split and of fractional weights.")
    long seed;

    @Option(names = "--shard-tokens", paramLabel = "N", defaultValue = "16777216", description = "Token ids per shard (default 16M).")
    int shardTokens;

    @Option(names = "--threads", paramLabel = "N", description = "Tokenizing threads (default: all cores).")
    int threads;

    CorpusBuildCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        DatasetCard card = build(console, tokenizer, sources, output, validationFraction, seed, shardTokens, threads);
        table(card).forEach(console.out()::println);
        console.out().printf(Locale.ROOT, "train: %s documents, %s tokens in %d shard(s); validation: %s documents, %s tokens in %d shard(s)%n",
                TextFormat.grouped(card.trainDocuments()), TextFormat.grouped(card.trainTokens()), card.trainShards().size(),
                TextFormat.grouped(card.validationDocuments()), TextFormat.grouped(card.validationTokens()), card.validationShards().size());
        console.out().printf(Locale.ROOT, "written to %s (card.json, card.md)%n", output);
        return Main.OK;
    }

    /**
     * Builds the corpus into {@code output} and returns its card. Shards and cards of an earlier
     * build in that folder are removed first, so the folder holds exactly what the card lists.
     */
    static DatasetCard build(Console console, Path tokenizerPath, List<SourceSpec> sources, Path output,
                             double validationFraction, long seed, int shardTokens, int threads) throws IOException {
        List<String> names = new ArrayList<>();
        for (SourceSpec s : sources) {
            if (names.contains(s.name())) {
                throw new CliException("two sources are named '" + s.name() + "'; give each a NAME of its own");
            }
            names.add(s.name());
        }
        Tokenizer tok;
        try (TokenizerLoader loader = TokenizerLoader.open(tokenizerPath, null)) {
            console.debug("tokenizer: %s", loader.source());
            tok = loader.tokenizer();
        }
        if (tok.eosId() < 0) {
            throw new CliException(tokenizerPath + ": the tokenizer has no end-of-sequence token to separate documents");
        }
        long estimate = 0;
        for (SourceSpec s : sources) {
            console.scaleOut().checkSource(s);
            estimate += s.estimatedBytes();
        }
        // settings are checked before anything in the output folder is touched
        CorpusBuilder builder = new CorpusBuilder(tok, TOKENIZER_JSON);
        try {
            builder.validationFraction(validationFraction).seed(seed).shardTokens(shardTokens);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), e);
        }
        removeEarlierBuild(output);
        builder = new CorpusBuilder(tok, keepTokenizer(tokenizerPath, output))
                .validationFraction(validationFraction).seed(seed).shardTokens(shardTokens);
        if (threads > 0) {
            builder.threads(threads);
        }
        ProgressMeter meter = new ProgressMeter(console, "corpus", estimate, ProgressMeter.Unit.BYTES);
        long total = estimate;
        builder.progress(p -> {
            meter.total(Math.max(total, p.bytesRead()));
            meter.update(p.bytesRead());
        });
        DatasetCard card = console.scaleOut().buildCorpus(builder, sources, tokenizerPath, output);
        meter.finish();
        return card;
    }

    /**
     * Makes the corpus folder self-contained: a tokenizer.json (given, or a Hugging Face folder's) is
     * copied into it with its tokenizer_config.json, and the card names the copy ({@code tokenizer.json},
     * relative to the folder); another tokenizer (a GGUF file) is named by its absolute path.
     */
    private static String keepTokenizer(Path tokenizer, Path dir) throws IOException {
        Path json = Files.isDirectory(tokenizer) ? tokenizer.resolve(TOKENIZER_JSON) : tokenizer;
        if (!json.getFileName().toString().endsWith(".json") || !Files.isRegularFile(json)) {
            return tokenizer.toAbsolutePath().normalize().toString();
        }
        Files.createDirectories(dir);
        copyUnlessSame(json, dir.resolve(TOKENIZER_JSON));
        Path config = json.toAbsolutePath().resolveSibling(TokenizerTrainCommand.TOKENIZER_CONFIG);
        if (Files.isRegularFile(config)) {
            copyUnlessSame(config, dir.resolve(TokenizerTrainCommand.TOKENIZER_CONFIG));
        }
        return TOKENIZER_JSON;
    }

    private static void copyUnlessSame(Path from, Path to) throws IOException {
        if (Files.exists(to) && Files.isSameFile(from, to)) {
            return;
        }
        Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
        Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void removeEarlierBuild(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "{train,validation}-[0-9][0-9][0-9][0-9][0-9]*.bin")) {
            for (Path f : files) {
                Files.delete(f);
            }
        }
        Files.deleteIfExists(dir.resolve("card.json"));
        Files.deleteIfExists(dir.resolve("card.md"));
    }

    /** The card as aligned columns: one row per source, then the totals. */
    static List<String> table(DatasetCard card) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"source", "kind", "weight", "docs", "bytes", "empty", "exact dups", "near dups",
                "train docs", "written", "val docs", "train tokens", "val tokens"});
        long[] sum = new long[10];
        for (DatasetCard.SourceStats s : card.sources()) {
            long[] v = {s.documentsRead(), s.bytesRead(), s.emptyDropped(), s.exactDuplicates(), s.nearDuplicates(),
                    s.trainDocuments(), s.trainCopies(), s.validationDocuments(), s.trainTokens(), s.validationTokens()};
            rows.add(row(s.name(), s.kind(), weight(s.weight()), v, s.exactDuplicateBytes(), s.nearDuplicateBytes()));
            for (int i = 0; i < v.length; i++) {
                sum[i] += v[i];
            }
        }
        long exactBytes = card.sources().stream().mapToLong(DatasetCard.SourceStats::exactDuplicateBytes).sum();
        long nearBytes = card.sources().stream().mapToLong(DatasetCard.SourceStats::nearDuplicateBytes).sum();
        rows.add(row("total", "", "", sum, exactBytes, nearBytes));
        return TextFormat.table(rows, false, false, true, true, true, true, true, true, true, true, true, true, true);
    }

    private static String[] row(String name, String kind, String weight, long[] v, long exactBytes, long nearBytes) {
        return new String[] {name, kind, weight, TextFormat.grouped(v[0]), TextFormat.bytes(v[1]), TextFormat.grouped(v[2]),
                TextFormat.grouped(v[3]) + " (" + TextFormat.bytes(exactBytes) + ")",
                TextFormat.grouped(v[4]) + " (" + TextFormat.bytes(nearBytes) + ")",
                TextFormat.grouped(v[5]), TextFormat.grouped(v[6]), TextFormat.grouped(v[7]),
                TextFormat.grouped(v[8]), TextFormat.grouped(v[9])};
    }

    static String weight(double w) {
        return w == Math.rint(w) && Math.abs(w) < 1e15 ? Long.toString((long) w) : Double.toString(w);
    }

    /** Parses {@code --source} values; a syntax error is a usage error naming what is expected. */
    static final class SpecConverter implements ITypeConverter<SourceSpec> {
        @Override
        public SourceSpec convert(String value) {
            try {
                return SourceSpec.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
