package dev.plinth.model;

import dev.plinth.text.Tokenizer;
import java.util.Arrays;

/**
 * Turns generated tokens into text pieces one token at a time without ever splitting a UTF-8
 * character: byte tokens ({@code <0xXX>}, or byte-level BPE fragments) are held until their
 * character is complete.
 *
 * <p>It decodes a short window of recent tokens with the tokenizer's own {@code decode} and emits
 * what the newest tokens added. The window starts one token early (the last prompt token at
 * first) so that a decoder rule for a sequence's first token, such as SentencePiece dropping its
 * leading space, does not touch generated text. A window whose text ends in U+FFFD is an
 * unfinished character and is held, for at most {@value #MAX_HELD} tokens (the longest UTF-8
 * sequence); after that the replacement character is genuine and goes out.
 */
public final class TokenStreamDecoder {

    private static final int MAX_HELD = 4;

    private final Tokenizer tokenizer;
    private int[] ids = new int[32];
    private int size;
    private int prefixOffset;
    private int readOffset;

    /** @param contextToken a token before the generated ones (the last prompt token), or -1 */
    public TokenStreamDecoder(Tokenizer tokenizer, int contextToken) {
        this.tokenizer = tokenizer;
        if (contextToken >= 0) {
            ids[size++] = contextToken;
            readOffset = 1;
        }
    }

    /** The new text that {@code token} completes; empty while a character is unfinished. */
    public String push(int token) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = token;
        String before = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, readOffset));
        String now = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, size));
        if (now.endsWith("\uFFFD") && size - readOffset < MAX_HELD) {
            return "";
        }
        String piece = now.length() >= before.length() && now.startsWith(before)
                ? now.substring(before.length())
                : now.substring(commonPrefix(before, now));
        prefixOffset = readOffset;
        readOffset = size;
        return piece;
    }

    /** Text still held at the end (an unfinished character, shown as U+FFFD). */
    public String flush() {
        if (readOffset == size) {
            return "";
        }
        String before = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, readOffset));
        String now = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, size));
        prefixOffset = readOffset;
        readOffset = size;
        return now.substring(commonPrefix(before, now));
    }

    private static int commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return i;
    }
}
