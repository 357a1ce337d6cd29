package dev.plinth.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.model.SamplingParams;
import dev.plinth.product.Parameters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What chat and text completions share: the sampling fields of a request resolved against the
 * product's parameters, the context check, and starting the choices on the base's scheduler.
 */
final class Generation {

    /** OpenAI's neutral sampling: temperature 1 and every truncation stage and penalty off. */
    static final SamplingParams OPENAI_DEFAULTS = SamplingParams.DEFAULTS.withTemperature(1f).withoutTruncation()
            .withPenalties(1f, 0f, 0f, 64);

    private static final int MAX_STOPS = 16;
    private static final int MAX_TOP_LOGPROBS = 20;

    private Generation() {
    }

    /** The context a sequence of {@code model} gets: its product's num_ctx, else the server's, else the model's. */
    static int contextLength(ServedModel model, ServerConfig config) {
        int ctx = model.profile().parameters().contextLength()
                .orElse(config.contextLength() > 0 ? config.contextLength() : model.base().runtime().contextLength(0));
        return config.contextLength() > 0 ? Math.min(ctx, config.contextLength()) : ctx;
    }

    /**
     * The sampling settings: the request's, else the product's parameters, else OpenAI's defaults
     * (a fresh random seed when neither gives one).
     */
    static SamplingParams sampling(Fields f, Parameters product) {
        SamplingParams p = product.applyTo(OPENAI_DEFAULTS.withSeed(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
        float temperature = f.number("temperature", 0, 2).orElse(p.temperature());
        float topP = f.number("top_p", 0, 1).orElse(p.topP());
        int topK = f.integer("top_k", -1, Integer.MAX_VALUE).map(k -> Math.max(k, 0)).orElse(p.topK());
        float minP = f.number("min_p", 0, 1).orElse(p.minP());
        float repeat = f.number("repetition_penalty", 0.01, 10).orElse(p.repeatPenalty());
        float presence = f.number("presence_penalty", -2, 2).orElse(p.presencePenalty());
        float frequency = f.number("frequency_penalty", -2, 2).orElse(p.frequencyPenalty());
        long seed = f.longValue("seed").orElse(p.seed());
        return new SamplingParams(temperature, topK, topP, minP, repeat, presence, frequency, p.penaltyLastN(), seed);
    }

    /** The stop strings: the request's, else the product's. */
    static List<String> stops(Fields f, Parameters product) {
        List<String> stops = f.stringOrStrings("stop", MAX_STOPS);
        return f.has("stop") ? stops : product.stops();
    }

    /** {@code logit_bias}: token id (as a string) to a bias from -100 to 100. */
    static Map<Integer, Float> logitBias(Fields f, int vocabSize) {
        Map<Integer, Float> bias = new HashMap<>();
        Fields object = f.object("logit_bias").orElse(null);
        if (object == null) {
            return bias;
        }
        if (object.node().size() > 1024) {
            throw ApiException.invalid("logit_bias", "'logit_bias' may hold at most 1024 tokens.");
        }
        Iterator<Map.Entry<String, JsonNode>> it = object.node().fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            int token;
            try {
                token = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw ApiException.invalid("logit_bias", "'logit_bias' keys must be token ids, not '" + e.getKey() + "'.");
            }
            if (token < 0 || token >= vocabSize) {
                throw ApiException.invalid("logit_bias", "Token id " + token + " in 'logit_bias' is outside the vocabulary of "
                        + vocabSize + " tokens.");
            }
            JsonNode v = e.getValue();
            if (!v.isNumber() || v.asDouble() < -100 || v.asDouble() > 100) {
                throw ApiException.invalid("logit_bias", "'logit_bias' values must be numbers from -100 to 100.");
            }
            bias.put(token, (float) v.asDouble());
        }
        return bias;
    }

    /** Top alternatives asked for: at most {@value #MAX_TOP_LOGPROBS}. */
    static int topLogprobs(Fields f, String name) {
        return f.integer(name, 0, MAX_TOP_LOGPROBS).orElse(0);
    }

    /**
     * The tokens to generate at most: {@code requested} when given (a 400 when prompt and completion
     * do not fit the context, as OpenAI says it), else the product's or {@code fallback}, cut to what
     * the context leaves.
     */
    static int maxTokens(Integer requested, String param, Parameters product, int fallback, int promptTokens, int context,
                         String promptWord) {
        if (promptTokens > context || (promptTokens == context && (requested == null || requested > 0))) {
            throw ApiException.invalid(promptWord, "context_length_exceeded", "This model's maximum context length is "
                    + context + " tokens. However, your " + promptWord + " resulted in " + promptTokens
                    + " tokens. Please reduce the length of the " + promptWord + ".");
        }
        if (requested != null) {
            if (promptTokens + requested > context) {
                throw ApiException.invalid(param, "context_length_exceeded", "This model's maximum context length is "
                        + context + " tokens. However, you requested " + (promptTokens + requested) + " tokens ("
                        + promptTokens + " in the " + promptWord + ", " + requested + " in the completion). Please reduce "
                        + "the length of the " + promptWord + " or the completion.");
            }
            return requested;
        }
        int wanted = product.maxTokens().filter(t -> t > 0).orElse(fallback);
        return Math.min(wanted, context - promptTokens);
    }

    /** Starts {@code n} choices after each prompt on the model's base, choice index = prompt · n + i. */
    static Run start(ServedModel model, List<int[]> prompts, int n, GenerationSettings settings, Set<Integer> stopTokens) {
        DecoderBase base = model.base();
        Run run = new Run(base.scheduler());
        int index = 0;
        for (int[] prompt : prompts) {
            for (int i = 0; i < n; i++) {
                GenerationSettings own = i == 0 ? settings : withSeed(settings, settings.sampling().seed() + i);
                run.add(new Sequence(model.id(), prompt, model.adapters(), own, stopTokens, base.runtime().tokenizer(),
                        base.kvBytesPerPosition(), run.listener(index++)));
            }
        }
        run.start();
        return run;
    }

    /** The i-th of n choices draws with its own seed, so that the choices differ. */
    private static GenerationSettings withSeed(GenerationSettings s, long seed) {
        return new GenerationSettings(s.sampling().withSeed(seed), s.maxTokens(), s.stops(), s.logprobs(),
                s.promptLogprobs(), s.logitBias(), s.ignoreEos(), s.grammar());
    }

    /** Token ids, checked against the vocabulary. */
    static int[] tokenIds(JsonNode array, String param, int vocabSize) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = Fields.integerValue(array.get(i), param, 0, vocabSize - 1);
        }
        return ids;
    }

    /** Whether {@code node} is an array of whole numbers (a token-id prompt). */
    static boolean isTokenArray(JsonNode node) {
        if (!node.isArray() || node.isEmpty()) {
            return false;
        }
        for (JsonNode item : node) {
            if (!item.isNumber()) {
                return false;
            }
        }
        return true;
    }

    /** A list of what {@code node} holds: itself when it is not an array. */
    static List<JsonNode> items(JsonNode node) {
        List<JsonNode> out = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(out::add);
        } else {
            out.add(node);
        }
        return out;
    }
}
