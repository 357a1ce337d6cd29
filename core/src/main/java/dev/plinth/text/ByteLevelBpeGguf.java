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

    static ByteLevelBpeTokenizer load(GgufFile gguf) throws ModelFormatException {
        String modelType = gguf.getString("tokenizer.ggml.model", null);
        if (!"gpt2".equals(modelType)) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.model", -1,
                    "is '" + modelType + "', expected 'gpt2' for a byte-level BPE vocabulary");
        }
        String pre = gguf.getString("tokenizer.ggml.pre", "");
        LlamaCppPreTypes.Spec spec = LlamaCppPreTypes.of(pre);
        if (spec == null) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.pre", -1,
                    "pre-tokenizer '" + pre + "' is not supported; supported: " + LlamaCppPreTypes.names());
        }
        String[] tokens = strings(gguf, "tokenizer.ggml.tokens", true);
        if (tokens.length == 0) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.tokens", -1, "is empty");
        }
        Map<String, Integer> ids = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i].isEmpty()) {
                tokens[i] = "[EMPTY_" + i + "]";
            }
            if (ids.putIfAbsent(tokens[i], i) != null) {
                throw new ModelFormatException(gguf.path(), "tokenizer.ggml.tokens", -1,
                        "duplicate token '" + tokens[i] + "' at ids " + ids.get(tokens[i]) + " and " + i);
            }
        }
        int[] types = tokenTypes(gguf, tokens.length);
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

        List<ByteLevelBpeTokenizer.AddedToken> added = new ArrayList<>();
        for (int id = 0; id < tokens.length; id++) {
            int t = types[id];
            if (t == ByteLevelBpeTokenizer.CONTROL || t == ByteLevelBpeTokenizer.USER_DEFINED
                    || t == ByteLevelBpeTokenizer.UNKNOWN) {
                added.add(new ByteLevelBpeTokenizer.AddedToken(id, tokens[id], t != ByteLevelBpeTokenizer.USER_DEFINED));
            }
        }
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
        return new ByteLevelBpeTokenizer(model, steps, types, added, bos, eos, prefix, suffix,
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

    private static int[] tokenTypes(GgufFile gguf, int n) throws ModelFormatException {
        int[] types = new int[n];
        java.util.Arrays.fill(types, ByteLevelBpeTokenizer.NORMAL);
        if (!gguf.metadata().containsKey("tokenizer.ggml.token_type")) {
            return types;
        }
        List<Object> list = gguf.getArray("tokenizer.ggml.token_type");
        if (list.size() < n) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.token_type", -1,
                    "has " + list.size() + " entries for " + n + " tokens");
        }
        for (int i = 0; i < n; i++) {
            if (!(list.get(i) instanceof Number num)) {
                throw new ModelFormatException(gguf.path(), "tokenizer.ggml.token_type", -1,
                        "element " + i + " is not a number");
            }
            types[i] = num.intValue();
        }
        return types;
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
