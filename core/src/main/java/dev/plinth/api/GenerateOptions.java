package dev.plinth.api;

import dev.plinth.model.SamplingParams;
import dev.plinth.product.Parameters;
import java.util.ArrayList;
import java.util.List;

/**
 * What to generate: each knob left null takes the product's own parameter (its Plinthfile's
 * {@code PARAMETER}), else llama.cpp's default ({@link SamplingParams#DEFAULTS}, 256 tokens).
 * Immutable; each {@code with} method gives a copy.
 *
 * <pre>{@code
 * GenerateOptions options = GenerateOptions.defaults().withTemperature(0f).withMaxTokens(64).withStop(List.of("\n\n"));
 * }</pre>
 *
 * @param maxTokens   the most tokens to generate
 * @param temperature 0 for greedy decoding
 * @param seed        the seed of the draw: the same seed and prompt give the same text
 * @param stop        texts that end the output (not included in it), besides the product's own
 * @param jsonSchema  a JSON Schema (its text) the output must follow, or null; see {@link #withJsonSchema}
 * @param jsonObject  whether the output must be a JSON object (any), when no schema is given
 */
public record GenerateOptions(Integer maxTokens, Float temperature, Integer topK, Float topP, Float minP,
                              Float repeatPenalty, Float presencePenalty, Float frequencyPenalty, Long seed,
                              List<String> stop, String jsonSchema, boolean jsonObject) {

    /** The tokens generated when neither the options nor the product say. */
    public static final int DEFAULT_MAX_TOKENS = 256;

    public GenerateOptions {
        stop = List.copyOf(stop);
    }

    /** Every knob from the product, or from the defaults. */
    public static GenerateOptions defaults() {
        return new GenerateOptions(null, null, null, null, null, null, null, null, null, List.of(), null, false);
    }

    public GenerateOptions withMaxTokens(Integer n) {
        return new GenerateOptions(n, temperature, topK, topP, minP, repeatPenalty, presencePenalty, frequencyPenalty, seed,
                stop, jsonSchema, jsonObject);
    }

    public GenerateOptions withTemperature(Float t) {
        return new GenerateOptions(maxTokens, t, topK, topP, minP, repeatPenalty, presencePenalty, frequencyPenalty, seed,
                stop, jsonSchema, jsonObject);
    }

    public GenerateOptions withTopK(Integer k) {
        return new GenerateOptions(maxTokens, temperature, k, topP, minP, repeatPenalty, presencePenalty, frequencyPenalty,
                seed, stop, jsonSchema, jsonObject);
    }

    public GenerateOptions withTopP(Float p) {
        return new GenerateOptions(maxTokens, temperature, topK, p, minP, repeatPenalty, presencePenalty, frequencyPenalty,
                seed, stop, jsonSchema, jsonObject);
    }

    public GenerateOptions withMinP(Float p) {
        return new GenerateOptions(maxTokens, temperature, topK, topP, p, repeatPenalty, presencePenalty, frequencyPenalty,
                seed, stop, jsonSchema, jsonObject);
    }

    /** llama.cpp's penalties: repeat (1: off), presence and frequency (0: off). */
    public GenerateOptions withPenalties(Float repeat, Float presence, Float frequency) {
        return new GenerateOptions(maxTokens, temperature, topK, topP, minP, repeat, presence, frequency, seed, stop,
                jsonSchema, jsonObject);
    }

    public GenerateOptions withSeed(Long s) {
        return new GenerateOptions(maxTokens, temperature, topK, topP, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, s, stop, jsonSchema, jsonObject);
    }

    public GenerateOptions withStop(List<String> texts) {
        return new GenerateOptions(maxTokens, temperature, topK, topP, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, seed, texts, jsonSchema, jsonObject);
    }

    /**
     * The output must be JSON that {@code schema} allows (null: any text). The subset constrained
     * decoding follows: {@code type} string, integer, number, boolean, null, object with
     * {@code properties} (all written, in order), array with {@code items}, {@code minItems},
     * {@code maxItems}, {@code enum}, {@code const}, {@code minLength}, {@code maxLength}; other
     * keywords are refused by {@code generate}, not ignored.
     */
    public GenerateOptions withJsonSchema(String schema) {
        return new GenerateOptions(maxTokens, temperature, topK, topP, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, seed, stop, schema, jsonObject);
    }

    /** The output must be a JSON object (any); a schema, when given, takes precedence. */
    public GenerateOptions withJsonObject(boolean json) {
        return new GenerateOptions(maxTokens, temperature, topK, topP, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, seed, stop, jsonSchema, json);
    }

    /** The sampling settings over {@code product}'s parameters. */
    public SamplingParams sampling(Parameters product) {
        SamplingParams s = product.applyTo(SamplingParams.DEFAULTS);
        s = temperature == null ? s : s.withTemperature(temperature);
        s = topK == null ? s : s.withTopK(topK);
        s = topP == null ? s : s.withTopP(topP);
        s = minP == null ? s : s.withMinP(minP);
        s = seed == null ? s : s.withSeed(seed);
        if (repeatPenalty != null || presencePenalty != null || frequencyPenalty != null) {
            s = s.withPenalties(repeatPenalty != null ? repeatPenalty : s.repeatPenalty(),
                    presencePenalty != null ? presencePenalty : s.presencePenalty(),
                    frequencyPenalty != null ? frequencyPenalty : s.frequencyPenalty(), s.penaltyLastN());
        }
        return s;
    }

    /** The token budget over {@code product}'s parameters. */
    public int maxTokens(Parameters product) {
        return maxTokens != null ? maxTokens : product.maxTokens().orElse(DEFAULT_MAX_TOKENS);
    }

    /** The product's stop strings, then these. */
    public List<String> stops(Parameters product) {
        List<String> all = new ArrayList<>(product.stops());
        stop.stream().filter(s -> !all.contains(s)).forEach(all::add);
        return all;
    }
}
