package dev.plinth.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.plinth.SharedData;
import dev.plinth.model.TokenizerLoader;
import dev.plinth.text.Tokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Requests as lm-evaluation-harness tokenizes them ({@code lm_eval/api/model.py} {@code loglikelihood}
 * and {@code _encode_pair}; {@code lm_eval/utils.py} {@code get_rolling_token_windows} and
 * {@code make_disjoint_window}), on stories260K's SentencePiece vocabulary.
 */
class EncodingTest {

    private static Tokenizer tokenizer() throws Exception {
        try (TokenizerLoader loader = TokenizerLoader.open(SharedData.require("models/stories260K/stories260K.gguf"), null)) {
            return loader.tokenizer();
        }
    }

    @Test
    void theContinuationIsWhatFollowsTheContextInTheWholeEncoding() throws Exception {
        Tokenizer tok = tokenizer();
        Encoding e = new Encoding(tok);
        Scorer.Request r = e.pair("Once upon a time", " there was a cat");
        assertArrayEquals(tok.encode("Once upon a time", true, false), r.context());
        int[] whole = tok.encode("Once upon a time there was a cat", true, false);
        assertArrayEquals(Arrays.copyOfRange(whole, r.context().length, whole.length), r.continuation());
        assertEquals(tok.bosId(), r.context()[0], "BOS as the tokenizer adds it");
    }

    @Test
    void trailingBlanksOfTheContextMoveToTheContinuation() throws Exception {
        Encoding e = new Encoding(tokenizer());
        Scorer.Request moved = e.pair("Once upon a time  ", "there");
        Scorer.Request direct = e.pair("Once upon a time", "  there");
        assertArrayEquals(direct.context(), moved.context());
        assertArrayEquals(direct.continuation(), moved.continuation());
    }

    @Test
    void anEmptyContextConditionsOnTheBosToken() throws Exception {
        Tokenizer tok = tokenizer();
        Scorer.Request r = new Encoding(tok).pair("", "The cat sat.");
        assertArrayEquals(new int[] {tok.bosId()}, r.context());
        assertArrayEquals(tok.encode("The cat sat.", false, false), r.continuation());
    }

    /** {@code get_rolling_token_windows(range(10), prefix, max_seq_len=4, context_len=1)} then {@code make_disjoint_window}. */
    @Test
    void rollingWindowsAreLmEvaluationHarnesses() throws Exception {
        Tokenizer tok = tokenizer();
        String text = "Once upon a time there was a little girl named Lily who";
        int[] t = tok.encode(text, false, false);
        assertEquals(true, t.length > 9, "enough tokens for three windows");
        List<Scorer.Request> w = new Encoding(tok).rollingWindows(text, 4);
        assertArrayEquals(new int[] {tok.bosId()}, w.get(0).context());
        assertArrayEquals(Arrays.copyOfRange(t, 0, 4), w.get(0).continuation());
        assertArrayEquals(Arrays.copyOfRange(t, 3, 4), w.get(1).context());
        assertArrayEquals(Arrays.copyOfRange(t, 4, 8), w.get(1).continuation());
        int windows = (t.length + 3) / 4;
        assertEquals(windows, w.size());
        Scorer.Request last = w.get(windows - 1);
        int predicted = 4 * (windows - 1);
        assertArrayEquals(Arrays.copyOfRange(t, predicted, t.length), last.continuation());
        assertArrayEquals(Arrays.copyOfRange(t, t.length - 5, predicted), last.context(), "the tokens before it that fit");
        assertArrayEquals(t, w.stream().flatMapToInt(r -> IntStream.of(r.continuation())).toArray(), "every token predicted once");
    }

    @Test
    void pythonRstripRemovesUnicodeWhitespace() {
        assertEquals("a b", Encoding.stripTrailing("a b \t\n\u00a0\u2003"));
        assertEquals("", Encoding.stripTrailing(" "));
    }
}
