package dev.plinth.cli;

import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.GenerationRequest;
import dev.plinth.model.ModelRuntime;
import dev.plinth.model.SamplingParams;
import dev.plinth.product.Parameters;
import dev.plinth.product.Product;
import dev.plinth.product.Profile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/** The generation options shared by {@code run} and {@code chat} (a picocli mixin). */
final class SamplingOptions {

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.8",
            description = "Sampling temperature; 0 is greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40",
            description = "Keep the K most likely tokens; 0 keeps all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95",
            description = "Keep the smallest set of tokens holding probability P; 1 keeps all (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.05",
            description = "Drop tokens less likely than P times the most likely; 0 keeps all (default: ${DEFAULT-VALUE}).")
    float minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", defaultValue = "1.0",
            description = "Divide (multiply if negative) the logits of recent tokens by X; 1 is off (default: ${DEFAULT-VALUE}).")
    float repeatPenalty;

    @Option(names = "--presence-penalty", paramLabel = "X", defaultValue = "0",
            description = "Subtract X from the logits of recent tokens (default: ${DEFAULT-VALUE}).")
    float presencePenalty;

    @Option(names = "--frequency-penalty", paramLabel = "X", defaultValue = "0",
            description = "Subtract X times its count from the logit of a recent token (default: ${DEFAULT-VALUE}).")
    float frequencyPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64",
            description = "How many recent tokens the penalties look at; -1 all (default: ${DEFAULT-VALUE}).")
    int repeatLastN;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "-1",
            description = "Generate at most N tokens; -1 until the context is full (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--seed", paramLabel = "S",
            description = "Seed of the sampler: the same seed gives the same text (default: random).")
    Long seed;

    @Option(names = "--stop", paramLabel = "STR",
            description = "Stop when this text appears; it is not printed (repeatable).")
    List<String> stops = new ArrayList<>();

    @Option(names = "--ctx", paramLabel = "N", defaultValue = "0",
            description = "Context length in tokens; 0 takes the model's, at most " + ModelRuntime.DEFAULT_MAX_CONTEXT
                    + " (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "A tokenizer to use instead of the model's own: tok.bin (llama2.c) or tokenizer.json.")
    Path tokenizerFile;

    /**
     * The profile of a product MODEL names, whose parameters become the defaults of these options;
     * {@link Profile#NONE} for a model file ({@code product} null).
     */
    Profile adopt(Product product, CommandSpec spec) throws IOException {
        if (product == null) {
            return Profile.NONE;
        }
        if (tokenizerFile != null) {
            throw new ParameterException(spec.commandLine(), "--tokenizer applies to model files; a product runs with its base's tokenizer");
        }
        Profile profile = product.profile();
        defaultTo(profile.parameters(), spec.commandLine().getParseResult());
        return profile;
    }

    /**
     * Opens what MODEL names with the {@code --adapter}s on top: the product's base (verified) with
     * its own adapters first, or the model file with --tokenizer.
     */
    ModelRuntime open(Product product, String model, List<AppliedAdapter.Spec> adapters) throws IOException {
        return product != null ? product.open(adapters) : ModelRuntime.open(Path.of(model), tokenizerFile, adapters);
    }

    /**
     * Takes a product's parameters as the defaults: each one the command line did not give explicitly
     * ({@code parsed} tells) is replaced by the product's value; a product's stop strings are used
     * when no {@code --stop} is given.
     */
    void defaultTo(Parameters product, ParseResult parsed) {
        unlessGiven(parsed, "--temperature", product.temperature(), v -> temperature = v);
        unlessGiven(parsed, "--top-k", product.topK(), v -> topK = v);
        unlessGiven(parsed, "--top-p", product.topP(), v -> topP = v);
        unlessGiven(parsed, "--min-p", product.minP(), v -> minP = v);
        unlessGiven(parsed, "--repeat-penalty", product.repeatPenalty(), v -> repeatPenalty = v);
        unlessGiven(parsed, "--repeat-last-n", product.repeatLastN(), v -> repeatLastN = v);
        unlessGiven(parsed, "--seed", product.seed(), v -> seed = v);
        unlessGiven(parsed, "--max-tokens", product.maxTokens(), v -> maxTokens = v);
        unlessGiven(parsed, "--ctx", product.contextLength(), v -> context = v);
        unlessGiven(parsed, "--stop", Optional.of(product.stops()), v -> stops = new ArrayList<>(v));
    }

    private static <T> void unlessGiven(ParseResult parsed, String option, Optional<T> value, Consumer<T> set) {
        if (!parsed.hasMatchedOption(option)) {
            value.ifPresent(set);
        }
    }

    /** The seed actually used: the given one or a fresh random one. */
    long resolvedSeed() {
        if (seed == null) {
            seed = new SplittableRandom().nextLong() & 0xFFFFFFFFL;
        }
        return seed;
    }

    /** The request for a context of {@code capacity} tokens; throws IllegalArgumentException on bad values. */
    GenerationRequest request(int capacity, Set<Integer> stopTokens, List<String> extraStops) {
        if (maxTokens < -1 || maxTokens == 0) {
            throw new IllegalArgumentException("--max-tokens must be positive or -1, got " + maxTokens);
        }
        if (topP < 0 || topP > 1 || minP < 0 || minP > 1) {
            throw new IllegalArgumentException("--top-p and --min-p must lie in [0, 1]");
        }
        if (temperature < 0) {
            throw new IllegalArgumentException("--temperature must not be negative, got " + temperature);
        }
        SamplingParams sampling = new SamplingParams(temperature, topK, topP, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, repeatLastN, resolvedSeed());
        List<String> allStops = new ArrayList<>(stops);
        allStops.addAll(extraStops);
        int max = maxTokens > 0 ? maxTokens : capacity;
        return new GenerationRequest(sampling, max, stopTokens, allStops, -1, false);
    }
}
