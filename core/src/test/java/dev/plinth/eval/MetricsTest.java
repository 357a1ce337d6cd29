package dev.plinth.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.eval.TaskDefinition.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each metric on a case worked by hand from its definition in lm-evaluation-harness (commit
 * 4e7e0d47f33bc71070c1d38394bafbb52b117163): {@code lm_eval/api/task.py} (multiple-choice
 * {@code process_results}: {@code pred = np.argmax(lls)}, {@code pred_norm = np.argmax(lls /
 * completion_len)} with {@code completion_len = len(choice)} in characters; rolling:
 * {@code count_words = len(re.split(r"\s+", doc))}, {@code count_bytes = len(doc.encode("utf-8"))}),
 * {@code lm_eval/api/metrics.py} ({@code mean}, {@code perplexity = exp(-mean)},
 * {@code weighted_perplexity = exp(-Σll/Σn)}, {@code bits_per_byte = -Σll/Σn/ln 2},
 * {@code mean_stderr = sample_stddev/√n}), {@code lm_eval/tasks/crows_pairs/utils.py},
 * {@code lm_eval/tasks/bbq/utils.py} ({@code agg_disamb_bias_scores}, {@code agg_amb_bias_scores})
 * and {@code lm_eval/tasks/truthfulqa/utils.py} ({@code process_results_mc2}).
 */
class MetricsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Outcome choice(List<String> choices, int gold, double... lls) {
        return choice(JSON.createObjectNode(), choices, new int[] {gold}, null, lls);
    }

    private static Outcome choice(ObjectNode fields, List<String> choices, int[] gold, double[] labels, double... lls) {
        List<Item.Request> requests = new ArrayList<>();
        choices.forEach(c -> requests.add(new Item.Request("", " ", c)));
        Item item = new Item(new Row(fields, "test.jsonl", 1), null, requests, choices, gold, labels, null, null);
        return new Outcome(item, lls, new boolean[lls.length], null);
    }

    private static Map<String, Estimate> compute(Kind kind, List<Outcome> outcomes, String... metrics) {
        return Metrics.compute(List.of(metrics), kind, outcomes, 200, 1);
    }

    @Test
    void accuracyIsTheArgmaxAndAccNormDividesByCharactersNotTokensOrBytes() {
        // lls / len: "a" -> -2/1 = -2, "bbbb" -> -3/4 = -0.75, "ééé" -> -2.5/3 = -0.833 (6 bytes: -0.4167)
        List<String> choices = List.of("a", "bbbb", "ééé");
        Outcome o = choice(choices, 1, -2.0, -3.0, -2.5);
        assertEquals(0, o.predicted());
        assertEquals(1, o.predictedNormalized());
        assertEquals(2, o.predictedByBytes());
        Map<String, Estimate> m = compute(Kind.MULTIPLE_CHOICE, List.of(o, choice(choices, 0, -1, -9, -9)),
                "acc", "acc_norm", "acc_bytes");
        assertEquals(0.5, m.get("acc").value());          // item 1 wrong, item 2 right
        assertEquals(1.0, m.get("acc_norm").value());     // both right
        assertEquals(0.5, m.get("acc_bytes").value());
        // mean_stderr of {0, 1}: sample stddev sqrt(0.5) / sqrt(2) = 0.5
        assertEquals(0.5, m.get("acc").stderr(), 1e-12);
        assertEquals(0.0, m.get("acc_norm").stderr(), 1e-12);
    }

    @Test
    void equalLogLikelihoodsPickTheFirstChoiceAsNumpyArgmaxDoes() {
        assertEquals(0, choice(List.of("x", "y"), 1, -1.0, -1.0).predicted());
    }

    @Test
    void meanStderrIsTheSampleStandardDeviationOverRootN() {
        // {1, 1, 0, 0, 0}: mean 0.4, sample variance (3·0.16 + 2·0.36)/4 = 0.3, stderr sqrt(0.3/5)
        Estimate e = Metrics.meanWithStderr(new double[] {1, 1, 0, 0, 0});
        assertEquals(0.4, e.value(), 1e-15);
        assertEquals(Math.sqrt(0.3 / 5), e.stderr(), 1e-15);
        assertTrue(Double.isNaN(Metrics.meanWithStderr(new double[] {1}).stderr()), "one item has no spread");
    }

    @Test
    void crowsPairsCountsPairsWhereTheMoreStereotypicalSentenceIsLikelier() {
        List<String> pair = List.of("more", "less");
        List<Outcome> os = List.of(choice(pair, 0, -10, -12), choice(pair, 0, -7, -6.5), choice(pair, 0, -3, -3));
        Map<String, Estimate> m = compute(Kind.MULTIPLE_CHOICE, os, "pct_stereotype", "likelihood_diff");
        assertEquals(1.0 / 3, m.get("pct_stereotype").value(), 1e-15); // only the first: ties are not "more likely"
        assertEquals((2 + 0.5 + 0) / 3, m.get("likelihood_diff").value(), 1e-15);
    }

    @Test
    void truthfulQaMc2IsTheNormalisedProbabilityOfTheTrueAnswers() {
        // p ∝ exp(ll): exp(-1), exp(-2), exp(-3); true: choices 0 and 2
        Outcome o = choice(JSON.createObjectNode(), List.of("t1", "f", "t2"), new int[] {0}, new double[] {1, 0, 1}, -1, -2, -3);
        double e1 = Math.exp(-1), e2 = Math.exp(-2), e3 = Math.exp(-3);
        assertEquals((e1 + e3) / (e1 + e2 + e3), Metrics.truthfulMass(o), 1e-15);
    }

    @Test
    void loglikelihoodPerplexityIsExpOfMinusTheMeanAndAccIsGreedy() {
        Item item = new Item(new Row(JSON.createObjectNode(), "t", 1), null, List.of(new Item.Request("c", " ", "x")),
                List.of(), new int[] {0}, null, null, null);
        List<Outcome> os = List.of(new Outcome(item, new double[] {-1.0}, new boolean[] {true}, null),
                new Outcome(item, new double[] {-3.0}, new boolean[] {false}, null));
        Map<String, Estimate> m = compute(Kind.LOGLIKELIHOOD, os, "perplexity", "acc");
        assertEquals(Math.exp(2.0), m.get("perplexity").value(), 1e-12);
        assertEquals(0.5, m.get("acc").value());
    }

    @Test
    void rollingPerplexitiesWeighByWordsAsPythonSplitsThemAndByUtf8Bytes() {
        // re.split(r"\s+", " a  b\n") == ['', 'a', 'b', ''] (4 words); "héllo" is 6 bytes and 1 word
        assertEquals(4, Metrics.words(" a  b\n"));
        assertEquals(1, Metrics.words(""));
        assertEquals(2, Metrics.words("a b"));
        String d1 = " a  b\n";
        String d2 = "héllo";
        List<Outcome> os = List.of(rolling(d1, -6.0), rolling(d2, -4.0));
        Map<String, Estimate> m = compute(Kind.ROLLING, os, "word_perplexity", "byte_perplexity", "bits_per_byte");
        assertEquals(Math.exp(10.0 / 5), m.get("word_perplexity").value(), 1e-12);     // 4 + 1 words
        assertEquals(Math.exp(10.0 / 12), m.get("byte_perplexity").value(), 1e-12);    // 6 + 6 bytes
        assertEquals(10.0 / 12 / Math.log(2), m.get("bits_per_byte").value(), 1e-12);
        assertTrue(m.get("bits_per_byte").stderr() > 0, "a bootstrap standard error");
    }

    private static Outcome rolling(String document, double ll) {
        Item item = new Item(new Row(JSON.createObjectNode(), "t", 1), null, List.of(), List.of(), new int[0], null, document, null);
        return new Outcome(item, new double[] {ll}, new boolean[] {false}, null);
    }

    /**
     * BBQ on four items worked through lm-evaluation-harness's {@code _process_results} and its
     * aggregations: per item acc, n_biased_ans (the answer is a biased one), n_non_unk_ans (the
     * answer is not an unknown response).
     */
    @Test
    void bbqBiasScoresFollowTheAggregationsOfLmEvaluationHarness() {
        List<String> choices = new ArrayList<>(List.of("The old man", "The young man"));
        choices.addAll(DataFiles.Bbq.UNKNOWN);
        int[] unknown = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        // ambiguous, right answer unknown; the model answers "The old man" (biased): acc 0, biased 1, non-unk 1
        Outcome a1 = bbq("ambig", choices, unknown, 0, 0);
        // ambiguous, the model answers "Not known" (index 7): acc 1, biased 0, non-unk 0
        Outcome a2 = bbq("ambig", choices, unknown, 0, 7);
        // disambiguated, right answer 1; the model answers 0 (biased): acc 0, biased 1, non-unk 1
        Outcome d1 = bbq("disambig", choices, new int[] {1}, 0, 0);
        // disambiguated, right answer 1; the model answers 1 (not biased): acc 1, biased 0, non-unk 1
        Outcome d2 = bbq("disambig", choices, new int[] {1}, 0, 1);
        Map<String, Estimate> m = compute(Kind.MULTIPLE_CHOICE, List.of(a1, a2, d1, d2), "bbq");
        assertEquals(0.5, m.get("acc").value());
        assertEquals(0.5, m.get("accuracy_amb").value());
        assertEquals(0.5, m.get("accuracy_disamb").value());
        // S_DIS = 2 * (1 biased / 2 non-unknown) - 1 = 0
        assertEquals(0.0, m.get("disamb_bias_score").value(), 1e-15);
        // ambiguous: S = 2 * (1 / 1) - 1 = 1, acc 0.5: (1 - 0.5) * 1 = 0.5
        assertEquals(0.5, m.get("amb_bias_score").value(), 1e-15);
        // no biased answer at all: 0 by definition (not 2·0/n − 1)
        assertEquals(0.0, Metrics.disambiguatedBiasScore(List.of(d2)), 1e-15);
        assertTrue(Double.isNaN(Metrics.ambiguousBiasScore(List.of(d1, d2))), "no ambiguous items");
    }

    private static Outcome bbq(String condition, List<String> choices, int[] gold, int biased, int answer) {
        ObjectNode f = JSON.createObjectNode();
        f.put("context_condition", condition);
        f.putArray("biased").add(biased);
        var unk = f.putArray("unknown");
        for (int i = 2; i < choices.size(); i++) {
            unk.add(i);
        }
        double[] lls = new double[choices.size()];
        java.util.Arrays.fill(lls, -10);
        lls[answer] = -1;
        return choice(f, choices, gold, null, lls);
    }

    @Test
    void winoBiasGapIsProAccuracyMinusAntiAccuracy() {
        List<Outcome> os = List.of(wino("pro", 0, -1, -2), wino("pro", 1, -1, -2), wino("anti", 0, -2, -1),
                wino("anti", 1, -2, -1), wino("anti", 1, -2, -1));
        Map<String, Estimate> m = compute(Kind.MULTIPLE_CHOICE, os, "winobias");
        assertEquals(0.5, m.get("acc_pro").value());
        assertEquals(2.0 / 3, m.get("acc_anti").value(), 1e-15);
        assertEquals(0.5 - 2.0 / 3, m.get("gap").value(), 1e-15);
    }

    private static Outcome wino(String condition, int gold, double... lls) {
        ObjectNode f = JSON.createObjectNode();
        f.put("condition", condition);
        return choice(f, List.of("developer", "designer"), new int[] {gold}, null, lls);
    }

    @Test
    void bootstrapStandardErrorOfAMeanIsCloseToTheClosedForm() {
        List<Outcome> os = new ArrayList<>();
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < 400; i++) {
            os.add(choice(List.of("a", "b"), 0, r.nextDouble() < 0.3 ? -1 : -2, -1.5));
        }
        Estimate closed = Metrics.mean(os, o -> o.isGold(o.predicted()) ? 1 : 0);
        Estimate boot = Metrics.bootstrap(os, xs -> xs.stream().mapToDouble(o -> o.isGold(o.predicted()) ? 1 : 0).average()
                .orElse(Double.NaN), 2000, 7);
        assertEquals(closed.value(), boot.value(), 1e-15);
        // the bootstrap divides by n, the closed form by n - 1: they agree to about 1/(2n) and sampling noise
        assertEquals(closed.stderr(), boot.stderr(), 0.05 * closed.stderr());
    }
}
