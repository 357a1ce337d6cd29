package dev.plinth.io.llama2c;

import dev.plinth.io.AtomicFiles;
import dev.plinth.io.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A llama2.c tokenizer file ({@code tokenizer.bin}, {@code tok512.bin}): a little-endian int32
 * {@code max_token_length}, then per token a float32 score, an int32 byte length and the piece's
 * UTF-8 bytes. The file does not store the token count; it is whatever fills the file. Pieces are
 * as llama2.c stores them: "▁" already replaced by a space, byte tokens as text like
 * {@code <0x0A>}, BOS and EOS as {@code "\n<s>\n"} and {@code "\n</s>\n"}.
 */
public record Llama2cVocabulary(int maxTokenLength, List<String> pieces, float[] scores) {

    /** Refuse tokenizer files over 1 GiB; real ones are well under 1 MiB. */
    static final long MAX_FILE_BYTES = 1L << 30;

    public Llama2cVocabulary {
        pieces = List.copyOf(pieces);
        scores = scores.clone();
        if (pieces.size() != scores.length) {
            throw new IllegalArgumentException(pieces.size() + " pieces but " + scores.length + " scores");
        }
        if (maxTokenLength < 0) {
            throw new IllegalArgumentException("maxTokenLength " + maxTokenLength);
        }
    }

    @Override
    public float[] scores() {
        return scores.clone();
    }

    public int size() {
        return pieces.size();
    }

    public String piece(int id) {
        return pieces.get(id);
    }

    public float score(int id) {
        return scores[id];
    }

    /** Reads every token in the file. */
    public static Llama2cVocabulary read(Path path) throws IOException {
        return read(path, -1);
    }

    /**
     * Reads exactly {@code vocabSize} tokens (the checkpoint's vocab size), or every token when it
     * is negative. Lengths beyond {@code max_token_length} or the file, invalid UTF-8, and bytes
     * left over are {@link ModelFormatException}s.
     */
    public static Llama2cVocabulary read(Path path, int vocabSize) throws IOException {
        long size = Files.size(path);
        if (size > MAX_FILE_BYTES) {
            throw new ModelFormatException(path, null, 0, "tokenizer file is " + size + " bytes (at most " + MAX_FILE_BYTES + ")");
        }
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        if (buf.remaining() < 4) {
            throw new ModelFormatException(path, "max_token_length", 0, "file is " + size + " bytes, too short");
        }
        int maxLen = buf.getInt();
        if (maxLen <= 0) {
            throw new ModelFormatException(path, "max_token_length", 0, "is " + maxLen + "; must be positive");
        }
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (vocabSize < 0 ? buf.hasRemaining() : pieces.size() < vocabSize) {
            int id = pieces.size();
            int at = buf.position();
            if (buf.remaining() < 8) {
                throw new ModelFormatException(path, "token " + id, at, buf.hasRemaining()
                        ? "only " + buf.remaining() + " bytes left for an 8-byte score and length (truncated?)"
                        : "file ends after " + id + " of " + vocabSize + " tokens");
            }
            float score = buf.getFloat();
            int len = buf.getInt();
            if (len < 0 || len > maxLen || len > buf.remaining()) {
                throw new ModelFormatException(path, "token " + id + " length", at + 4, "length " + len
                        + " is negative, above max_token_length " + maxLen + ", or past the end of the file");
            }
            ByteBuffer bytes = buf.slice(buf.position(), len);
            try {
                CharBuffer chars = utf8.reset().decode(bytes);
                pieces.add(chars.toString());
            } catch (CharacterCodingException e) {
                throw new ModelFormatException(path, "token " + id + " piece", at + 8, "piece is not valid UTF-8");
            }
            buf.position(buf.position() + len);
            scores.add(score);
        }
        if (buf.hasRemaining()) {
            throw new ModelFormatException(path, null, buf.position(), buf.remaining() + " bytes after the last of "
                    + vocabSize + " tokens");
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
        }
        return new Llama2cVocabulary(maxLen, pieces, s);
    }

    /** Writes this vocabulary atomically in the same format. */
    public void write(Path target) throws IOException {
        List<byte[]> encoded = pieces.stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toList();
        long size = 4;
        for (byte[] b : encoded) {
            size += 8 + b.length;
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("vocabulary too large: " + size + " bytes");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(maxTokenLength);
        for (int i = 0; i < encoded.size(); i++) {
            buf.putFloat(scores[i]).putInt(encoded.get(i).length).put(encoded.get(i));
        }
        buf.flip();
        AtomicFiles.write(target, ch -> AtomicFiles.writeFully(ch, buf));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Llama2cVocabulary v && v.maxTokenLength == maxTokenLength && v.pieces.equals(pieces)
                && java.util.Arrays.equals(v.scores, scores);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxTokenLength, pieces, java.util.Arrays.hashCode(scores));
    }

    @Override
    public String toString() {
        return "Llama2cVocabulary[" + pieces.size() + " tokens, maxTokenLength=" + maxTokenLength + "]";
    }
}
