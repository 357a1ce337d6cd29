package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generation end to end on Karpathy's real stories260K (GGUF conversion): greedy output equals
 * llama2.c run.c's recorded text and ids (models/README.md), stop strings and stop tokens cut it
 * exactly there, the context limit ends it with "length", and seeded sampling repeats.
 */
class GeneratorTest {

    /** run.c's 60 greedy ids after "Once upon a time" (models/README.md). */
    private static final int[] EXPECTED = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267,
        337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266,
        268, 388, 426, 338, 391, 266, 267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333, 415, 426, 13, 438, 310};
    private static final String PROMPT = "Once upon a time";

    private static GgufFile gguf;
    private static DecoderModel model;
    private static Tokenizer tokenizer;
    private static String expectedText;

    @BeforeAll
    static void load() throws Exception {
        Path dir = SharedData.require("models/stories260K");
        gguf = GgufFile.open(dir.resolve("stories260K.gguf"));
        tokenizer = Tokenizers.fromGguf(gguf);
        model = DecoderModel.open(dir.resolve("stories260K.gguf"));
        String runC = Files.readString(dir.resolve("expected-run-c-greedy-64.txt"), StandardCharsets.UTF_8);
        // run.c prints the prompt, the generated pieces, then a final newline of its own
        expectedText = runC.substring(PROMPT.length(), runC.length() - 1);
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
        if (gguf != null) {
            gguf.close();
        }
    }

    private static int[] prompt() {
        return tokenizer.encode(PROMPT, true, false);
    }

    private static GenerationResult generate(GenerationRequest request, List<String> pieces, int context) {
        return new Generator(tokenizer).generate(DecoderSequence.of(model, context), prompt(), request, pieces::add);
    }

    @Test
    void greedyReproducesRunC() {
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, prompt());
        List<String> pieces = new ArrayList<>();
        GenerationResult r = generate(GenerationRequest.of(SamplingParams.greedy(), 60), pieces, 0);
        assertArrayEquals(EXPECTED, r.tokens());
        assertEquals(expectedText, r.text());
        assertTrue(r.text().startsWith(", there was a little girl named Lily. She loved to play outside in the park."));
        assertEquals(String.join("", pieces), r.text());
        assertEquals(FinishReason.LENGTH, r.finish());
        assertEquals(5, r.promptTokens());
    }

    @Test
    void stopStringAcrossTokenBoundariesIsCutAndNeverStreamed() {
        String stop = "ly. Sh";
        int at = expectedText.indexOf(stop);
        assertTrue(at > 0);
        List<String> pieces = new ArrayList<>();
        GenerationRequest request = GenerationRequest.of(SamplingParams.greedy(), 60).withStopStrings(List.of("zzz", stop));
        GenerationResult r = generate(request, pieces, 0);
        assertEquals(expectedText.substring(0, at), r.text());
        assertEquals(String.join("", pieces), r.text());
        assertEquals(FinishReason.STOP, r.finish());
        assertTrue(pieces.stream().noneMatch(p -> p.contains("ly.")), pieces.toString());
        // the tokens up to the one that completed the stop string were generated, no more
        String upTo = tokenizer.decode(concat(prompt(), r.tokens()));
        assertTrue(upTo.contains(stop) && !tokenizer.decode(concat(prompt(), Arrays.copyOf(r.tokens(), r.tokens().length - 1))).contains(stop));
    }

    @Test
    void stopTokenEndsWithStopAndIsNotEmitted() {
        int stopToken = EXPECTED[10];
        GenerationRequest request = GenerationRequest.of(SamplingParams.greedy(), 60).withStopTokens(Set.of(stopToken));
        GenerationResult r = generate(request, new ArrayList<>(), 0);
        assertArrayEquals(Arrays.copyOf(EXPECTED, 10), r.tokens());
        assertEquals(FinishReason.STOP, r.finish());
        assertEquals(", there was a little girl named Lily", r.text());
        assertTrue(expectedText.startsWith(r.text()));
    }

    @Test
    void contextLimitEndsWithLength() {
        GenerationResult r = generate(GenerationRequest.of(SamplingParams.greedy(), 100), new ArrayList<>(), 16);
        // 5 prompt tokens fill positions 0-4; tokens are fed up to position 15, and one more is sampled
        assertArrayEquals(Arrays.copyOf(EXPECTED, 12), r.tokens());
        assertEquals(FinishReason.LENGTH, r.finish());
    }

    @Test
    void promptLongerThanContextOverflowsOrIsTruncated() {
        int[] longPrompt = tokenizer.encode(PROMPT + ", there was a little girl named Lily. She loved to play", true, false);
        Generator g = new Generator(tokenizer);
        ContextOverflowException e = assertThrows(ContextOverflowException.class,
                () -> g.generate(DecoderSequence.of(model, 8), longPrompt, GenerationRequest.of(SamplingParams.greedy(), 4)));
        assertEquals(longPrompt.length, e.promptTokens());
        assertEquals(8, e.contextLength());
        assertTrue(e.getMessage().contains(longPrompt.length + " tokens") && e.getMessage().contains("holds 8"));

        GenerationRequest truncating = GenerationRequest.of(SamplingParams.greedy(), 4).withTruncatePrompt(true);
        GenerationResult r = g.generate(DecoderSequence.of(model, 8), longPrompt, truncating);
        assertEquals(4, r.promptTokens(), "8 positions, half kept for the 4 new tokens");
        int[] kept = {longPrompt[0], longPrompt[longPrompt.length - 3], longPrompt[longPrompt.length - 2], longPrompt[longPrompt.length - 1]};
        int[] direct = g.generate(DecoderSequence.of(model, 8), kept, GenerationRequest.of(SamplingParams.greedy(), 4)).tokens();
        assertArrayEquals(direct, r.tokens(), "truncation keeps BOS and the end");
        assertEquals(1, longPrompt[0]);
    }

    @Test
    void seededSamplingRepeatsAndSeedsDiffer() {
        SamplingParams p = SamplingParams.DEFAULTS.withTemperature(1.2f).withSeed(1234);
        GenerationResult a = generate(GenerationRequest.of(p, 40).withLogprobs(3), new ArrayList<>(), 0);
        GenerationResult b = generate(GenerationRequest.of(p, 40).withLogprobs(3), new ArrayList<>(), 0);
        GenerationResult c = generate(GenerationRequest.of(p.withSeed(99), 40), new ArrayList<>(), 0);
        assertArrayEquals(a.tokens(), b.tokens());
        assertEquals(a.text(), b.text());
        assertNotEquals(a.text(), c.text());
        assertEquals(a.tokens().length, a.logprobs().size());
        for (int i = 0; i < a.tokens().length; i++) {
            TokenLogProbs lp = a.logprobs().get(i);
            assertEquals(a.tokens()[i], lp.token());
            assertTrue(lp.logprob() <= 0 && lp.logprob() <= lp.top().get(0).logprob());
            assertEquals(3, lp.top().size());
            assertTrue(lp.top().get(0).logprob() >= lp.top().get(1).logprob());
        }
    }

    @Test
    void greedyLogprobsMatchTheModelsLogSoftmax() {
        GenerationResult r = generate(GenerationRequest.of(SamplingParams.greedy(), 3).withLogprobs(2), new ArrayList<>(), 0);
        DecoderModel.Session s = model.newSession(16);
        float[] logits = model.forward(s, prompt());
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double z = 0;
        for (float v : logits) {
            z += Math.exp(v - max);
        }
        TokenLogProbs first = r.logprobs().get(0);
        assertEquals(EXPECTED[0], first.token());
        assertEquals(logits[EXPECTED[0]] - max - Math.log(z), first.logprob(), 1e-4);
        assertEquals(EXPECTED[0], first.top().get(0).token(), "greedy picks the most likely token");
        assertFalse(first.top().get(1).token() == EXPECTED[0]);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
