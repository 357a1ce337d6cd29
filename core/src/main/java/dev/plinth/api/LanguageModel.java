package dev.plinth.api;

import dev.plinth.model.DecoderSequence;
import dev.plinth.model.GenerationRequest;
import dev.plinth.model.GenerationResult;
import dev.plinth.model.Generator;
import dev.plinth.model.ModelRuntime;
import dev.plinth.model.json.JsonGrammar;
import dev.plinth.product.Parameters;
import dev.plinth.product.Product;
import dev.plinth.product.ProductName;
import dev.plinth.product.Profile;
import dev.plinth.product.Store;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A decoder opened in this process: a base file, or a product from the store by name (its
 * adapters applied, its parameters the defaults of {@link GenerateOptions}). {@code generate}
 * continues a text as it is; chatting with a product's profile and template is {@code
 * dev.plinth.api.chat.Chat} (module plinth-templates).
 *
 * <pre>{@code
 * try (LanguageModel model = LanguageModel.open(Path.of("stories260K.gguf"))) {
 *     GenerationResult r = model.generate("Once upon a time", GenerateOptions.defaults().withTemperature(0f));
 *     model.generate("Lily saw", GenerateOptions.defaults(), System.out::print);   // streaming
 * }
 * }</pre>
 *
 * <p>One generation runs at a time (each already uses every core): concurrent calls wait their turn.
 */
public final class LanguageModel implements AutoCloseable {

    private final String name;
    private final ModelRuntime runtime;
    private final Product product;
    private final Profile profile;

    private LanguageModel(String name, ModelRuntime runtime, Product product, Profile profile) {
        this.name = name;
        this.runtime = runtime;
        this.product = product;
        this.profile = profile;
    }

    /** A base file: a GGUF file, a Hugging Face folder, or a llama2.c checkpoint with its tokenizer beside it. */
    public static LanguageModel open(Path file) throws IOException {
        return new LanguageModel(String.valueOf(file.getFileName()), ModelRuntime.open(file, null), null, Profile.NONE);
    }

    /** The product {@code name} ({@code NAME[:TAG]}) from the store at {@code PLINTH_HOME} (default {@code ~/.plinth}). */
    public static LanguageModel openProduct(String name) throws IOException {
        return openProduct(Store.defaultRoot(System.getenv()), name);
    }

    /** The product {@code name} from the store at {@code home}. */
    public static LanguageModel openProduct(Path home, String name) throws IOException {
        return open(Store.open(home).product(ProductName.parse(name)));
    }

    /** {@code product}: its weights and adapters verified against their digests, then mapped. */
    public static LanguageModel open(Product product) throws IOException {
        Profile profile = product.profile();
        return new LanguageModel(product.name().toString(), product.open(), product, profile);
    }

    /** The product's name ({@code NAME:TAG}), or the file's name. */
    public String name() {
        return name;
    }

    /** The runtime underneath: model, tokenizer, chat template source, end-of-turn tokens. */
    public ModelRuntime runtime() {
        return runtime;
    }

    /** The product opened, if this is one. */
    public Optional<Product> product() {
        return Optional.ofNullable(product);
    }

    /** The product's profile (system prompt, few-shot turns, template, parameters); {@link Profile#NONE} for a file. */
    public Profile profile() {
        return profile;
    }

    /** Generates after {@code prompt} (BOS first, as the tokenizer adds it). */
    public GenerationResult generate(String prompt, GenerateOptions options) {
        return generate(prompt, options, piece -> { });
    }

    /** {@link #generate(String, GenerateOptions)}, handing {@code onText} the text as it is produced. */
    public GenerationResult generate(String prompt, GenerateOptions options, Consumer<String> onText) {
        return generate(runtime.tokenizer().encode(prompt, true, false), Set.of(), options, onText);
    }

    /**
     * Generates after the token ids {@code prompt}, stopping at EOS, at {@code stopTokens} (a chat
     * turn's end markers) and at the options' stop strings.
     *
     * @throws dev.plinth.model.ContextOverflowException when the prompt does not fit the context
     * @throws dev.plinth.model.json.JsonSchemaException when the options' schema uses what constrained decoding cannot follow
     */
    public synchronized GenerationResult generate(int[] prompt, Set<Integer> stopTokens, GenerateOptions options,
                                                  Consumer<String> onText) {
        Parameters parameters = profile.parameters();
        GenerationRequest request = new GenerationRequest(options.sampling(parameters), options.maxTokens(parameters),
                stopTokens, options.stops(parameters), -1, false);
        JsonGrammar.Alternatives json = grammar(options);
        if (json != null && json.cost() > request.maxTokens()) {
            throw new IllegalArgumentException("the JSON asked for needs at least " + json.cost() + " tokens; max tokens is "
                    + request.maxTokens());
        }
        int context = runtime.contextLength(parameters.contextLength().orElse(0));
        if (json != null && json.cost() > context - prompt.length + 1) {
            throw new IllegalArgumentException("the JSON asked for needs at least " + json.cost() + " tokens; the prompt ("
                    + prompt.length + " tokens) leaves " + Math.max(context - prompt.length + 1, 0) + " of the context ("
                    + context + ")");
        }
        DecoderSequence sequence = runtime.newSequence(context);
        return new Generator(runtime.tokenizer()).generate(sequence, prompt, request, onText, json);
    }

    private static JsonGrammar.Alternatives grammar(GenerateOptions options) {
        if (options.jsonSchema() != null) {
            return JsonGrammar.Alternatives.of(JsonGrammar.of(options.jsonSchema()));
        }
        return options.jsonObject() ? JsonGrammar.Alternatives.of(JsonGrammar.object()) : null;
    }

    @Override
    public void close() {
        runtime.close();
    }
}
