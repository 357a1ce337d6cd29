package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Incremental detokenisation with stories260K's real 512-token SentencePiece vocabulary, which
 * spells every non-ASCII character as {@code <0xXX>} byte tokens: streamed pieces never hold half
 * a character and add up to the whole decode.
 */
class TokenStreamDecoderTest {

    @Test
    void multiByteCharactersSplitOverByteTokensComeOutWhole() throws Exception {
        try (GgufFile gguf = GgufFile.open(SharedData.require("models/stories260K/stories260K.gguf"))) {
            Tokenizer tok = Tokenizers.fromGguf(gguf);
            String text = "Lily said héllo to 世界 and 🙂 twice 🙂🙂, then Ω.";
            int[] ids = tok.encode(text, true, false);
            assertTrue(Arrays.stream(ids).anyMatch(id -> tok.piece(id).startsWith("<0x")), "uses byte tokens");
            List<String> pieces = stream(tok, ids);
            for (String p : pieces) {
                assertFalse(p.contains("\uFFFD"), "a piece split a character: " + pieces);
                assertFalse(!p.isEmpty() && Character.isLowSurrogate(p.charAt(0)), "split surrogate pair");
            }
            // the first token keeps the space SentencePiece put in front, as it would after a prompt
            assertEquals(" " + text, String.join("", pieces));
            assertTrue(pieces.contains("🙂"), "the emoji's four byte tokens give one piece: " + pieces);
        }
    }

    @Test
    void randomTextStreamsToItsDecode() throws Exception {
        try (GgufFile gguf = GgufFile.open(SharedData.require("models/stories260K/stories260K.gguf"))) {
            Tokenizer tok = Tokenizers.fromGguf(gguf);
            SplittableRandom r = new SplittableRandom(2026);
            String alphabet = "abc xyz,.\néüß中文字🙂😀Ωжи";
            for (int trial = 0; trial < 200; trial++) {
                StringBuilder sb = new StringBuilder("A");
                int len = r.nextInt(30);
                for (int i = 0; i < len; i++) {
                    sb.appendCodePoint(alphabet.codePoints().toArray()[r.nextInt((int) alphabet.codePoints().count())]);
                }
                int[] ids = tok.encode(sb.toString(), true, false);
                List<String> pieces = stream(tok, ids);
                String whole = tok.decode(ids).substring(tok.decode(new int[] {ids[0]}).length());
                assertEquals(whole, String.join("", pieces), sb.toString());
                assertTrue(pieces.stream().noneMatch(p -> p.contains("\uFFFD")), pieces.toString());
            }
        }
    }

    @Test
    void aDanglingByteIsReleasedAsAReplacementCharacterAtTheEnd() throws Exception {
        try (GgufFile gguf = GgufFile.open(SharedData.require("models/stories260K/stories260K.gguf"))) {
            Tokenizer tok = Tokenizers.fromGguf(gguf);
            int[] ids = tok.encode("世", false, false);
            int lead = -1;
            for (int id : ids) {
                if (tok.piece(id).equals("<0xE4>")) {
                    lead = id;
                }
            }
            assertTrue(lead >= 0, Arrays.toString(ids));
            TokenStreamDecoder d = new TokenStreamDecoder(tok, tok.bosId());
            assertEquals("", d.push(lead));
            assertEquals("\uFFFD", d.flush());
        }
    }

    /** Streams ids[1..] (ids[0], BOS, as the context token). */
    private static List<String> stream(Tokenizer tok, int[] ids) {
        TokenStreamDecoder d = new TokenStreamDecoder(tok, ids[0]);
        List<String> pieces = new ArrayList<>();
        for (int i = 1; i < ids.length; i++) {
            pieces.add(d.push(ids[i]));
        }
        pieces.add(d.flush());
        pieces.removeIf(String::isEmpty);
        return pieces;
    }
}
