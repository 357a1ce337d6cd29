package dev.plinth.train.corpus;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What the corpus pipeline decides a normalised document's fate by: its UTF-8 length and the two
 * halves of its SHA-256 (exact duplicates, the train/validation split and fractional weights).
 */
public record DocumentKey(long bytes, long hashHi, long hashLo) implements java.io.Serializable {

    /** Normalises {@code raw} ({@link TextNormalizer}): the text every later step reads. */
    public static String normalize(String raw) {
        return TextNormalizer.normalize(raw);
    }

    /** The key of an already normalised text. */
    public static DocumentKey of(String normalized) {
        byte[] utf8 = normalized.getBytes(StandardCharsets.UTF_8);
        if (utf8.length == 0) {
            return new DocumentKey(0, 0, 0);
        }
        ByteBuffer sha = ByteBuffer.wrap(TokenShard.sha256(ByteBuffer.wrap(utf8)));
        return new DocumentKey(utf8.length, sha.getLong(0), sha.getLong(8));
    }

    public boolean isEmpty() {
        return bytes == 0;
    }
}
