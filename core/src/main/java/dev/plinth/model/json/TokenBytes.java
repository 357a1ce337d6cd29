package dev.plinth.model.json;

import dev.plinth.text.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The UTF-8 bytes each token adds to the text after other tokens, for masking tokens by a grammar.
 * A token is decoded after an anchor token, so that a rule for a text's first token (SentencePiece
 * drops its leading space) does not apply; a token that is part of a character (a byte token)
 * shows as U+FFFD, which a grammar treats as any character inside a string. Computed once per
 * tokenizer.
 */
public final class TokenBytes {

    private static final Map<Tokenizer, byte[][]> CACHE = new WeakHashMap<>();

    private TokenBytes() {
    }

    public static synchronized byte[][] of(Tokenizer tokenizer) {
        return CACHE.computeIfAbsent(tokenizer, TokenBytes::compute);
    }

    private static byte[][] compute(Tokenizer tokenizer) {
        int[] a = tokenizer.encode("a", false, false);
        int anchor = a.length == 0 ? -1 : a[a.length - 1];
        String prefix = anchor < 0 ? "" : tokenizer.decode(new int[] {anchor});
        byte[][] out = new byte[tokenizer.vocabSize()][];
        for (int t = 0; t < out.length; t++) {
            String text = anchor < 0 ? tokenizer.decode(new int[] {t}) : tokenizer.decode(new int[] {anchor, t});
            String added = text.startsWith(prefix) ? text.substring(prefix.length()) : tokenizer.decode(new int[] {t});
            out[t] = added.getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }
}
