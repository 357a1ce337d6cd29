package dev.plinth.server;

import dev.plinth.model.SamplingParams;
import dev.plinth.model.json.JsonGrammar;
import java.util.List;
import java.util.Map;

/**
 * How one choice is generated, resolved from the request, then the product's parameters, then the
 * server's defaults.
 *
 * @param maxTokens      tokens to generate at most (0: only score the prompt, for {@code echo})
 * @param logprobs       top alternatives to report per generated token: -1 none, 0 the chosen one's alone
 * @param promptLogprobs the same for each prompt token ({@code echo} with {@code logprobs}), -1 none
 * @param logitBias      added to a token's logit before sampling
 * @param ignoreEos      generate past EOS (vLLM's and llama.cpp's {@code ignore_eos}, for benchmarks)
 * @param grammar        the JSON the output must be ({@code response_format}), or null for any text
 */
record GenerationSettings(SamplingParams sampling, int maxTokens, List<String> stops, int logprobs,
                          int promptLogprobs, Map<Integer, Float> logitBias, boolean ignoreEos,
                          JsonGrammar.Alternatives grammar) {

    GenerationSettings {
        stops = List.copyOf(stops);
        logitBias = Map.copyOf(logitBias);
    }

    void applyLogitBias(float[] logits) {
        logitBias.forEach((token, bias) -> logits[token] += bias);
    }
}
