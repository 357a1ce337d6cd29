package dev.plinth.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.plinth.model.DecoderConfig;
import dev.plinth.model.DecoderModel;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.tensor.Activations;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batched scorer (shared prefixes fed once, groups packed into passes, long inputs split into
 * pieces) gives each request what scoring it alone from an empty cache gives.
 */
class ScorerTest {

    private static final int VOCAB = 97;

    @TempDir
    Path dir;

    private Path model() throws Exception {
        DecoderConfig c = DecoderConfig.builder("llama").hiddenSize(64).ffnSize(128).layers(2).vocabSize(VOCAB)
                .contextLength(256).heads(4).kvHeads(2).headDim(16).rmsEps(1e-6f).ropeBase(10000).build();
        Path f = dir.resolve("m.gguf");
        RandomModels.builder(c).init(RandomModels.Init.unitScale(0.5, 0.2, 0.1)).noVocabulary().seed(5).writeGguf(f);
        return f;
    }

    private static int[] tokens(SplittableRandom r, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(VOCAB);
        }
        return t;
    }

    /** The reference: the whole input from an empty cache, every position's log-softmax in double. */
    private static Scorer.Score alone(DecoderModel m, Scorer.Request r, int maxLength) {
        int[] whole = new int[r.context().length + r.continuation().length];
        System.arraycopy(r.context(), 0, whole, 0, r.context().length);
        System.arraycopy(r.continuation(), 0, whole, r.context().length, r.continuation().length);
        int from = Math.max(0, whole.length - (maxLength + 1));
        int[] input = Arrays.copyOfRange(whole, from, whole.length - 1);
        float[] logits = m.forwardAll(m.newSession(input.length), input);
        double ll = 0;
        boolean greedy = true;
        int c = r.continuation().length;
        for (int k = 0; k < c; k++) {
            int pos = input.length - c + k;
            int target = r.continuation()[k];
            ll += logits[pos * VOCAB + target] - Activations.logSumExp(logits, pos * VOCAB, VOCAB);
            greedy &= Scorer.argmax(logits, pos * VOCAB, VOCAB) == target;
        }
        return new Scorer.Score(ll, greedy);
    }

    @Test
    void batchedScoresEqualEachRequestScoredAlone() throws Exception {
        SplittableRandom r = new SplittableRandom(11);
        List<List<Scorer.Request>> groups = new ArrayList<>();
        for (int g = 0; g < 14; g++) {
            int[] context = tokens(r, 1 + r.nextInt(40));
            List<Scorer.Request> choices = new ArrayList<>();
            int n = 2 + r.nextInt(4);
            for (int i = 0; i < n; i++) {
                choices.add(new Scorer.Request(context, tokens(r, 1 + r.nextInt(9))));
            }
            groups.add(choices);
        }
        // winogrande's shape: contexts that differ after a shared start, one continuation
        int[] start = tokens(r, 12);
        int[] rest = tokens(r, 5);
        groups.add(List.of(new Scorer.Request(concat(start, new int[] {3}), rest), new Scorer.Request(concat(start, new int[] {4, 5}), rest)));
        // left truncation: context + continuation longer than the maximum length
        groups.add(List.of(new Scorer.Request(tokens(r, 90), tokens(r, 7)), new Scorer.Request(tokens(r, 90), tokens(r, 7))));
        // a rolling window: one context token, a long continuation split into pieces
        groups.add(List.of(new Scorer.Request(new int[] {1}, tokens(r, 64))));
        int maxLength = 64;
        try (DecoderModel m = DecoderModel.open(model())) {
            List<Scorer.Score[]> got = new Scorer(m, List.of(), maxLength, 96).score(groups, Scorer.Progress.NONE);
            for (int g = 0; g < groups.size(); g++) {
                for (int i = 0; i < groups.get(g).size(); i++) {
                    Scorer.Score want = alone(m, groups.get(g).get(i), maxLength);
                    assertEquals(want.logLikelihood(), got.get(g)[i].logLikelihood(), 1e-4, "group " + g + " request " + i);
                    assertEquals(want.greedy(), got.get(g)[i].greedy(), "group " + g + " request " + i);
                }
            }
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
