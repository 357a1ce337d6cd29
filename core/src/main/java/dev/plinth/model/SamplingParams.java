package dev.plinth.model;

/**
 * How {@link Sampler} picks the next token, with llama.cpp's meaning of each knob. A knob at its
 * neutral value turns its stage off: {@code topK <= 0}, {@code topP >= 1}, {@code minP <= 0},
 * {@code repeatPenalty == 1}, {@code presencePenalty == frequencyPenalty == 0}. A temperature of 0
 * (or below) is greedy: the highest logit after the penalties, ties to the lowest id.
 *
 * @param penaltyLastN how many of the most recent tokens the penalties look at (0: none, -1: all kept)
 * @param seed         the seed of the draw; the same seed and inputs give the same tokens
 */
public record SamplingParams(float temperature, int topK, float topP, float minP,
                             float repeatPenalty, float presencePenalty, float frequencyPenalty,
                             int penaltyLastN, long seed) {

    /** llama.cpp's defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no penalties, last 64). */
    public static final SamplingParams DEFAULTS = new SamplingParams(0.8f, 40, 0.95f, 0.05f, 1f, 0f, 0f, 64, 0);

    public SamplingParams {
        requireFinite("temperature", temperature);
        requireFinite("top-p", topP);
        requireFinite("min-p", minP);
        requireFinite("presence penalty", presencePenalty);
        requireFinite("frequency penalty", frequencyPenalty);
        if (!(repeatPenalty > 0) || Float.isInfinite(repeatPenalty)) {
            throw new IllegalArgumentException("repeat penalty must be a positive number, got " + repeatPenalty);
        }
        if (penaltyLastN < -1) {
            throw new IllegalArgumentException("penalty window must be -1 (all), 0 (off) or positive, got " + penaltyLastN);
        }
    }

    /** Greedy decoding: temperature 0, no penalties. */
    public static SamplingParams greedy() {
        return DEFAULTS.withTemperature(0f);
    }

    public boolean isGreedy() {
        return temperature <= 0f;
    }

    public SamplingParams withTemperature(float t) {
        return new SamplingParams(t, topK, topP, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyLastN, seed);
    }

    public SamplingParams withTopK(int k) {
        return new SamplingParams(temperature, k, topP, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyLastN, seed);
    }

    public SamplingParams withTopP(float p) {
        return new SamplingParams(temperature, topK, p, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyLastN, seed);
    }

    public SamplingParams withMinP(float p) {
        return new SamplingParams(temperature, topK, topP, p, repeatPenalty, presencePenalty, frequencyPenalty, penaltyLastN, seed);
    }

    public SamplingParams withPenalties(float repeat, float presence, float frequency, int lastN) {
        return new SamplingParams(temperature, topK, topP, minP, repeat, presence, frequency, lastN, seed);
    }

    public SamplingParams withSeed(long s) {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyLastN, s);
    }

    /** No truncation stage at all: top-k, top-p and min-p off (temperature and penalties kept). */
    public SamplingParams withoutTruncation() {
        return new SamplingParams(temperature, 0, 1f, 0f, repeatPenalty, presencePenalty, frequencyPenalty, penaltyLastN, seed);
    }

    private static void requireFinite(String name, float v) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException(name + " must be a finite number, got " + v);
        }
    }
}
