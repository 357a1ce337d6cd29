package dev.plinth.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.model.LlamaCppRunner;
import dev.plinth.model.ModelRuntime;
import dev.plinth.model.convert.GgufQuantizer;
import dev.plinth.model.convert.QuantType;
import dev.plinth.tensor.Activations;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-choice log-likelihoods equal llama.cpp's on the same F32 GGUF (libllama through
 * java.lang.foreign, {@link LlamaCppRunner}): 200 questions on each of two models (50 each of four
 * tasks: one shared context, several contexts (WinoGrande), an empty context (CrowS-Pairs)), every
 * choice within 1e-4 nats and the same predicted answer (by {@code acc} and by {@code acc_norm}) on
 * every question. llama.cpp reads each request alone from an empty cache, in one batch with every
 * position's logits (one thread: its thread pool crawls on a busy two-core machine); Plinth's
 * scorer batches requests and shares each question's prefix.
 */
class LlamaCppLoglikelihoodTest {

    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path dir;

    /**
     * llama2.c's TinyStories model: context 128, so tasks whose answers fit in it (PIQA's solutions
     * and CrowS-Pairs' sentences run to 190 of its 512-vocabulary tokens).
     */
    @Test
    void stories260KMatchesLlamaCpp() throws Throwable {
        compare(SharedData.require("models/stories260K/stories260K.gguf"), 128, List.of("arc-easy", "arc-challenge", "winogrande", "openbookqa"));
    }

    /** A llama with Llama 2's 32,000-token vocabulary and a 4,096-token context, its F16 weights re-typed to F32. */
    @Test
    void llama2VocabularyModelMatchesLlamaCpp() throws Throwable {
        Path f32 = dir.resolve("llama-2-tiny-random-f32.gguf");
        GgufQuantizer.quantize(SharedData.require("models/llama-2-tiny-random/llama-2-tiny-random.gguf"), f32,
                QuantType.F32, GgufQuantizer.Listener.NONE);
        compare(f32, 512, List.of("arc-easy", "piqa", "winogrande", "crows-pairs"));
    }

    private void compare(Path model, int maxLength, List<String> tasks) throws Throwable {
        Path data = SharedData.require("arc-easy").getParent();
        int questions = 0;
        double worst = 0;
        try (ModelRuntime rt = ModelRuntime.open(model, null);
             LlamaCppRunner llama = new LlamaCppRunner(model, maxLength, 1)) {
            Encoding encoding = new Encoding(rt.tokenizer());
            Scorer scorer = new Scorer(rt.model(), List.of(), maxLength, 512);
            for (String name : tasks) {
                List<Item> items = Tasks.resolve(name, data).items(50, 0);
                List<List<Scorer.Request>> groups = new ArrayList<>();
                for (Item item : items) {
                    List<Scorer.Request> g = new ArrayList<>();
                    item.requests().forEach(r -> g.add(encoding.pair(r.context(), r.delimiter() + r.continuation())));
                    groups.add(g);
                }
                List<Scorer.Score[]> plinth = scorer.score(groups, Scorer.Progress.NONE);
                for (int q = 0; q < items.size(); q++) {
                    double[] mine = new double[groups.get(q).size()];
                    double[] theirs = new double[mine.length];
                    for (int i = 0; i < mine.length; i++) {
                        mine[i] = plinth.get(q)[i].logLikelihood();
                        theirs[i] = reference(llama, groups.get(q).get(i), maxLength);
                        double diff = Math.abs(mine[i] - theirs[i]);
                        worst = Math.max(worst, diff);
                        assertTrue(diff <= TOLERANCE, name + " " + items.get(q).id() + " choice " + i + ": Plinth " + mine[i]
                                + ", llama.cpp " + theirs[i]);
                    }
                    Outcome a = new Outcome(items.get(q), mine, new boolean[mine.length], null);
                    Outcome b = new Outcome(items.get(q), theirs, new boolean[mine.length], null);
                    assertEquals(b.predicted(), a.predicted(), name + " " + items.get(q).id() + ": the predicted answer");
                    assertEquals(b.predictedNormalized(), a.predictedNormalized(), name + " " + items.get(q).id() + ": acc_norm's answer");
                    questions++;
                }
            }
        }
        assertEquals(200, questions);
        System.out.printf("%s: 200 questions, largest |Δ log-likelihood| %.2e%n", model.getFileName(), worst);
    }

    /** One request from an empty llama.cpp cache, as {@code _loglikelihood_tokens} reads it: the input in one batch, every position's logits. */
    private static double reference(LlamaCppRunner llama, Scorer.Request r, int maxLength) throws Throwable {
        int[] whole = new int[r.context().length + r.continuation().length];
        System.arraycopy(r.context(), 0, whole, 0, r.context().length);
        System.arraycopy(r.continuation(), 0, whole, r.context().length, r.continuation().length);
        int[] input = Arrays.copyOfRange(whole, Math.max(0, whole.length - (maxLength + 1)), whole.length - 1);
        int c = r.continuation().length;
        float[][] logits = llama.decodeEveryPosition(input);
        double ll = 0;
        for (int k = 0; k < c; k++) {
            ll += logProb(logits[input.length - c + k], r.continuation()[k]);
        }
        return ll;
    }

    private static double logProb(float[] logits, int target) {
        return logits[target] - Activations.logSumExp(logits, 0, logits.length);
    }
}
