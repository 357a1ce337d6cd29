package dev.plinth.text;

import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufFile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads a byte-level BPE vocabulary from GGUF metadata the way llama.cpp's vocabulary loader does. */
final class ByteLevelBpeGguf {
    private ByteLevelBpeGguf() {
    }

    static ByteLevelBpeTokenizer load(GgufFile gguf) throws java.io.IOException {
        return load(gguf, null);
    }

    /** Loads {@code gguf}, pre-tokenizing as {@code preOverride} says when it is not null. */
    static ByteLevelBpeTokenizer load(GgufFile gguf, String preOverride) throws java.io.IOException {
        String modelType = gguf.getString("tokenizer.ggml.model", null);
        if (!"gpt2".equals(modelType)) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.model", -1,
                    "is '" + modelType + "', expected 'gpt2' for a byte-level BPE vocabulary");
        }
        String pre = preOverride != null ? preOverride : gguf.getString("tokenizer.ggml.pre", "");
        LlamaCppPreTypes.Spec spec = LlamaCppPreTypes.of(pre);
        if (spec == null) {
            throw new UnsupportedTokenizerException(gguf.path(), "tokenizer.ggml.pre", pre,
                    String.join(", ", LlamaCppPreTypes.names()));
        }
        Vocabulary vocab = Vocabulary.fromGguf(gguf);
        String[] tokens = new String[vocab.size()];
        int[] types = new int[vocab.size()];
        Map<String, Integer> ids = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = vocab.piece(i);
            types[i] = vocab.type(i);
            ids.put(tokens[i], i);
        }
        if (tokens.length == 0) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.tokens", -1, "is empty");
        }
        List<String[]> merges = new ArrayList<>();
        for (String m : strings(gguf, "tokenizer.ggml.merges", true)) {
            int space = m.indexOf(' ', 1);
            merges.add(space < 0 ? new String[] {"", ""} : new String[] {m.substring(0, space), m.substring(space + 1)});
        }
        BpeModel model = new BpeModel(tokens, ids, merges, spec.ignoreMerges(), BpeModel.Fallback.LLAMA_CPP, -1);

        List<PreSplit> steps = new ArrayList<>();
        for (String regex : spec.regexes()) {
            steps.add(LlamaCppSplits.of(regex));
        }
        steps.add(new HfSplits.ByteLevelMark());

        SpecialTokens specials = SpecialTokens.llamaCpp(vocab, gguf.getString("general.name", ""));
        int bos = tokenId(gguf, "tokenizer.ggml.bos_token_id", 11, tokens.length);
        int eos = tokenId(gguf, "tokenizer.ggml.eos_token_id", 11, tokens.length);
        boolean addBos = gguf.getBool("tokenizer.ggml.add_bos_token", spec.addBos());
        boolean addEos = gguf.getBool("tokenizer.ggml.add_eos_token", false);
        if (addBos && bos < 0) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.add_bos_token", -1,
                    "is true, but tokenizer.ggml.bos_token_id is not set");
        }
        if (addEos && eos < 0) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.add_eos_token", -1,
                    "is true, but tokenizer.ggml.eos_token_id is not set");
        }
        int[] prefix = addBos ? new int[] {bos} : new int[0];
        int[] suffix = addEos ? new int[] {eos} : new int[0];
        return new ByteLevelBpeTokenizer(model, steps, types, specials, bos, eos, prefix, suffix,
                new ByteLevelBpeTokenizer.LlamaCpp(spec.name(), spec.regexes()));
    }

    private static String[] strings(GgufFile gguf, String key, boolean required) throws ModelFormatException {
        if (!gguf.metadata().containsKey(key)) {
            if (required) {
                throw new ModelFormatException(gguf.path(), key, -1, "is missing");
            }
            return new String[0];
        }
        List<Object> list = gguf.getArray(key);
        String[] out = new String[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof String s)) {
                throw new ModelFormatException(gguf.path(), key, -1, "element " + i + " is not a string");
            }
            out[i] = s;
        }
        return out;
    }

    private static int tokenId(GgufFile gguf, String key, int fallback, int n) throws ModelFormatException {
        long id = gguf.getLong(key, fallback);
        if (id == 0xFFFFFFFFL || id == -1) {
            return -1;
        }
        if (id < 0 || id >= n) {
            if (!gguf.metadata().containsKey(key)) {
                return -1;
            }
            throw new ModelFormatException(gguf.path(), key, -1, "token id " + id + " outside the vocabulary of " + n);
        }
        return (int) id;
    }
}
