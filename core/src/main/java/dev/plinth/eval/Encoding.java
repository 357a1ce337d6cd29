package dev.plinth.eval;

import dev.plinth.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Text to the token requests lm-evaluation-harness makes of it ({@code lm_eval/api/model.py}:
 * {@code loglikelihood}, {@code _encode_pair}; {@code lm_eval/utils.py}: {@code get_rolling_token_windows},
 * {@code make_disjoint_window}).
 */
final class Encoding {

    private final Tokenizer tokenizer;

    Encoding(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** The token a request with an empty context conditions on: BOS, or EOS when the vocabulary has no BOS. */
    int prefixToken() {
        return tokenizer.bosId() >= 0 ? tokenizer.bosId() : tokenizer.eosId();
    }

    /**
     * A context and continuation as token ids. With an empty context, the continuation (no special
     * tokens) follows the prefix token. Otherwise trailing blanks of the context move to the front of
     * the continuation, the whole text is encoded (special tokens as the tokenizer adds them, e.g.
     * BOS, unless the context starts with the BOS text) and the continuation is what follows the
     * context's own encoding. Special-token text is read as those tokens, as Hugging Face tokenizers
     * read it.
     *
     * @throws IllegalArgumentException when the continuation adds no token
     */
    Scorer.Request pair(String context, String continuation) {
        if (context.isEmpty()) {
            int[] cont = tokenizer.encode(continuation, false, true);
            if (cont.length == 0) {
                throw new IllegalArgumentException("the continuation '" + continuation + "' has no tokens");
            }
            int prefix = prefixToken();
            if (prefix < 0) {
                throw new IllegalArgumentException("the vocabulary has neither BOS nor EOS to put before an empty context");
            }
            return cont[0] != prefix ? new Scorer.Request(new int[] {prefix}, cont)
                    : new Scorer.Request(new int[] {cont[0]}, Arrays.copyOfRange(cont, 1, cont.length));
        }
        int kept = stripTrailing(context).length();
        String ctx = context.substring(0, kept);
        String cont = context.substring(kept) + continuation;
        boolean special = !startsWithBos(ctx);
        int[] whole = tokenizer.encode(ctx + cont, special, true);
        int[] contextIds = tokenizer.encode(ctx, special, true);
        if (whole.length <= contextIds.length) {
            throw new IllegalArgumentException("the continuation '" + continuation + "' adds no token to its context");
        }
        return new Scorer.Request(contextIds, Arrays.copyOfRange(whole, contextIds.length, whole.length));
    }

    /** {@code has_bos_prefix}: a context rendered by a chat template may start with the BOS text, and then none is added. */
    private boolean startsWithBos(String text) {
        return tokenizer.bosId() >= 0 && text.startsWith(tokenizer.piece(tokenizer.bosId()));
    }

    /**
     * A document as rolling windows of at most {@code maxLength} predicted tokens: the document's
     * tokens (no special tokens), the first window after the prefix token, each later one after the
     * tokens before it that fit ({@code context_len} 1: one token for a full window).
     */
    List<Scorer.Request> rollingWindows(String document, int maxLength) {
        int[] tokens = tokenizer.encode(document, false, true);
        List<Scorer.Request> windows = new ArrayList<>();
        if (tokens.length == 0) {
            return windows;
        }
        int first = Math.min(maxLength, tokens.length);
        windows.add(new Scorer.Request(new int[] {prefixToken()}, Arrays.copyOf(tokens, first)));
        for (int predicted = first; predicted < tokens.length; ) {
            int length = Math.min(tokens.length - predicted, maxLength);
            int end = predicted + length;
            int contextFrom = end - maxLength - 1;
            windows.add(new Scorer.Request(Arrays.copyOfRange(tokens, contextFrom, predicted),
                    Arrays.copyOfRange(tokens, predicted, end)));
            predicted = end;
        }
        return windows;
    }

    /** Python's {@code str.rstrip()}: trailing whitespace removed. */
    static String stripTrailing(String s) {
        int end = s.length();
        while (end > 0) {
            int cp = s.codePointBefore(end);
            if (!isPythonWhitespace(cp)) {
                break;
            }
            end -= Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    /** {@code str.isspace()} for one code point: Unicode White_Space plus the ASCII separators 0x1C–0x1F. */
    private static boolean isPythonWhitespace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85;
    }
}
