package dev.plinth.cli;

import dev.plinth.train.Checkpoint;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code plinth quickstart}: the foundation life cycle on the embedded defaults, one step after
 * another through the same commands a user would type (starter corpus, tokenizer, token shards,
 * pretraining, export, a sample). Each step's output is kept, so a rerun skips what is done and
 * resumes an interrupted training run.
 */
@Command(name = "quickstart",
        description = {"Build the starter corpus, train a tokenizer and a small base on it for a few minutes, export it",
                "as GGUF and as a Hugging Face folder, and print a sample. Reruns reuse what is already built."})
final class QuickstartCommand implements Callable<Integer> {

    static final String RECIPE = "quickstart.properties";
    static final String[] PROMPTS = {"dog (noun): ", "public static"};

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = {"-o", "--dir"}, paramLabel = "DIR", defaultValue = "quickstart",
            description = "Folder for everything it builds (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--steps", paramLabel = "N",
            description = "Training steps instead of the recipe's (DIR/" + RECIPE + ").")
    Integer steps;

    @Option(names = "--vocab-size", paramLabel = "N", defaultValue = "2048",
            description = "Tokenizer vocabulary (default: ${DEFAULT-VALUE}).")
    int vocabSize;

    QuickstartCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        Files.createDirectories(dir);
        Path starter = dir.resolve("starter");
        Path tokenizer = dir.resolve("tokenizer.json");
        Path corpus = dir.resolve("corpus");
        Path run = dir.resolve("base-run");
        Path gguf = dir.resolve("base.gguf");
        Path hf = dir.resolve("base-hf");
        Path recipe = recipe();
        int code = step("1/6 starter corpus", Files.isRegularFile(starter.resolve("README.md")),
                "corpus", "starter", "-o", starter.toString());
        code = code != Main.OK ? code : step("2/6 tokenizer", Files.isRegularFile(tokenizer),
                "tokenizer", "train", starter.resolve("wordnet").toString(), starter.resolve("code").toString(),
                "--vocab-size", String.valueOf(vocabSize), "-o", tokenizer.toString());
        code = code != Main.OK ? code : step("3/6 token shards", Files.isRegularFile(corpus.resolve("card.json")),
                "corpus", "build", "--tokenizer", tokenizer.toString(), "--source", "wordnet=" + starter.resolve("wordnet"),
                "--source", "code=" + starter.resolve("code") + ":0.5", "-o", corpus.toString());
        code = code != Main.OK ? code : Main.execute(console.logOnly(), pretrainArgs(corpus, run, recipe));
        Path checkpoint = run.resolve(Checkpoint.FILE_NAME);
        code = code != Main.OK ? code : step("5/6 export", upToDate(gguf, checkpoint) && upToDate(hf.resolve("config.json"), checkpoint),
                "export", run.toString(), "--tokenizer", tokenizer.toString(), "--gguf", gguf.toString(), "--hf", hf.toString());
        if (code != Main.OK) {
            return code;
        }
        console.info("6/6 samples from %s (temperature 0.8, seed 1)", gguf);
        for (String prompt : PROMPTS) {
            console.out().println("--- " + prompt);
            code = Main.execute(console, "run", gguf.toString(), prompt, "--echo", "--max-tokens", "48", "--seed", "1",
                    "--temperature", "0.8");
            if (code != Main.OK) {
                return code;
            }
        }
        console.out().println();
        console.out().println("base (GGUF):        " + gguf);
        console.out().println("base (HF folder):   " + hf);
        console.out().println("loss curves:        " + run.resolve("loss.svg") + " and " + run.resolve("log.csv"));
        console.out().println("corpus card:        " + corpus.resolve("card.md"));
        console.out().println("next: ./plinth chat " + gguf + "   or   ./plinth perplexity " + gguf + " FILE");
        console.out().flush();
        return Main.OK;
    }

    /** Runs one step unless its output is already there. */
    private int step(String title, boolean done, String... args) {
        if (done) {
            console.info("%s: already built, skipping", title);
            return Main.OK;
        }
        console.info("%s: plinth %s", title, String.join(" ", args));
        return Main.execute(console.logOnly(), args);
    }

    /** Pretraining: a fresh run, or the interrupted one continued (a finished run resumes to no new steps). */
    private String[] pretrainArgs(Path corpus, Path run, Path recipe) {
        boolean resume = Files.isRegularFile(run.resolve(Checkpoint.FILE_NAME));
        List<String> args = new ArrayList<>(List.of("pretrain", "--corpus", corpus.toString(), "--out", run.toString(),
                "--config", recipe.toString()));
        if (resume) {
            args.add("--resume");
        }
        if (steps != null) {
            args.add("--steps=" + steps);
            args.add("--warmup=" + Math.max(0, steps / 10)); // the recipe's warm-up may exceed a short run
        }
        console.info("4/6 base: plinth %s", String.join(" ", args));
        return args.toArray(String[]::new);
    }

    /** The training recipe: DIR/quickstart.properties, copied from the embedded default on first use. */
    private Path recipe() throws IOException {
        Path file = dir.resolve(RECIPE);
        if (!Files.exists(file)) {
            try (InputStream in = QuickstartCommand.class.getResourceAsStream(RECIPE)) {
                if (in == null) {
                    throw new CliException("the embedded " + RECIPE + " is missing from this build");
                }
                Files.write(file, in.readAllBytes());
            }
        }
        return file;
    }

    private static boolean upToDate(Path output, Path input) throws IOException {
        return Files.exists(output) && Files.exists(input)
                && !Files.getLastModifiedTime(output).toInstant().isBefore(Files.getLastModifiedTime(input).toInstant());
    }
}
