package dev.plinth.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The reference tokenizer for {@code tokenizer.json} files: Hugging Face tokenizers (Rust) through
 * DJL. Test-only. No truncation, no padding; special tokens added only when asked.
 */
public final class HfReference implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    private HfReference(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Loads {@code tokenizerJson} (a tokenizer.json file, or a folder holding one). */
    public static HfReference load(Path tokenizerJson) throws IOException {
        Map<String, String> options = Map.of(
                "truncation", "false",
                "padding", "false",
                "addSpecialTokens", "false",
                "maxLength", "1000000");
        return new HfReference(HuggingFaceTokenizer.newInstance(tokenizerJson, options));
    }

    /** Token ids of {@code text}, without special tokens added. */
    public int[] encode(String text) {
        return encode(text, false);
    }

    public int[] encode(String text, boolean addSpecial) {
        Encoding e = tokenizer.encode(text, addSpecial, false);
        long[] ids = e.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /** Text of {@code ids}; special tokens kept unless {@code skipSpecial}. */
    public String decode(int[] ids, boolean skipSpecial) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, skipSpecial);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
