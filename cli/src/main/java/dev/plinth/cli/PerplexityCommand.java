package dev.plinth.cli;

import dev.plinth.model.ModelRuntime;
import dev.plinth.model.Perplexity;
import dev.plinth.train.corpus.TokenShard;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth perplexity}: how well a decoder predicts held-out text, like llama.cpp's {@code llama-perplexity}. */
@Command(name = "perplexity",
        description = {"Score text files or token shards with a decoder: mean negative log-likelihood, bits per token, perplexity.",
                "Each FILE is plain UTF-8 text (tokenized with the model's tokenizer, BOS added) or a PLNTSHRD token shard",
                "from `plinth corpus build` (ids used as they are). Windows of --ctx tokens, each from an empty cache."})
final class PerplexityCommand implements Callable<Integer> {
    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "MODEL",
            description = "A GGUF file, a Hugging Face folder, or a llama2.c checkpoint (with --tokenizer).")
    Path model;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "FILE", description = "Text files or token shards to score.")
    List<Path> files;

    @Option(names = {"-c", "--ctx"}, paramLabel = "N", defaultValue = "0",
            description = "Window length in tokens; 0: the model's context, capped at 4096 (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "0",
            description = "Score at most the first N tokens of each file; 0: all (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "The tokenizer to use instead of the model's.")
    Path tokenizerFile;

    @Option(names = "--json", description = "Print one JSON object per file instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    PerplexityCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        if (maxTokens < 0) {
            throw new ParameterException(spec.commandLine(), "--max-tokens must not be negative, got " + maxTokens);
        }
        try (ModelRuntime runtime = ModelRuntime.open(model, tokenizerFile)) {
            console.debug("tokenizer: %s", runtime.tokenizerSource());
            int window = Usage.check(spec, () -> runtime.contextLength(context));
            if (!json) {
                console.out().println("| file | tokens scored | NLL (nats/token) | bits/token | perplexity |");
                console.out().println("|---|---|---|---|---|");
            }
            for (Path file : files) {
                int[] tokens = tokensOf(file, runtime);
                long start = System.nanoTime();
                Perplexity.Result r = Usage.check(spec, () -> Perplexity.of(runtime.model(), tokens, window,
                        done -> console.debug("%s: %d/%d tokens, %.1f tok/s", file, done, tokens.length,
                                done / ((System.nanoTime() - start) / 1e9))));
                print(file, r);
            }
        }
        return Main.OK;
    }

    private int[] tokensOf(Path file, ModelRuntime runtime) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CliException(file + ": no such file");
        }
        int[] tokens;
        if (TokenShard.isShard(file)) {
            try (TokenShard shard = TokenShard.open(file)) {
                if (shard.vocabSize() > runtime.model().vocabSize()) {
                    throw new CliException(file + ": shard ids go up to " + shard.vocabSize() + " but the model's vocabulary has "
                            + runtime.model().vocabSize() + " tokens; build the shard with this model's tokenizer");
                }
                long n = maxTokens > 0 ? Math.min(maxTokens, shard.tokenCount()) : shard.tokenCount();
                if (n > Integer.MAX_VALUE - 8) {
                    throw new CliException(file + ": " + n + " tokens are too many to score at once; use --max-tokens");
                }
                tokens = new int[(int) n];
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = shard.token(i);
                }
            }
        } else {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            tokens = runtime.tokenizer().encode(text, true, false);
            if (maxTokens > 0 && tokens.length > maxTokens) {
                tokens = Arrays.copyOf(tokens, maxTokens);
            }
        }
        if (tokens.length < 2) {
            throw new CliException(file + ": fewer than 2 tokens, nothing to score");
        }
        return tokens;
    }

    private void print(Path file, Perplexity.Result r) throws IOException {
        if (json) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("file", file.toString());
            row.put("tokens", r.tokensScored());
            row.put("nll", r.meanNll());
            row.put("bitsPerToken", r.bitsPerToken());
            row.put("perplexity", r.perplexity());
            Json.write(console.out(), row);
        } else {
            console.out().printf(Locale.ROOT, "| %s | %d | %.4f | %.4f | %.3f |%n", file, r.tokensScored(), r.meanNll(),
                    r.bitsPerToken(), r.perplexity());
        }
    }
}
