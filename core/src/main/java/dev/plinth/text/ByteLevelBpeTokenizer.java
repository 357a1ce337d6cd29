package dev.plinth.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Byte-level BPE (GPT-2 style): text is cut into pre-tokens by the model family's split rules,
 * each pre-token's UTF-8 bytes are mapped to GPT-2's byte characters and merged by rank. Loaded
 * from a GGUF vocabulary ({@code tokenizer.ggml.model = gpt2}; ids as llama.cpp gives them) or a
 * Hugging Face {@code tokenizer.json} with a ByteLevel pre-tokenizer (ids as HF tokenizers gives
 * them). Immutable and thread-safe.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {
    /** llama.cpp token types as stored in {@code tokenizer.ggml.token_type}. */
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;
    static final int BYTE = 6;

    /** How the text is pre-tokenized, as configured (for writing it back out). */
    sealed interface Source permits LlamaCpp, HfJson {
    }

    /** A GGUF vocabulary with llama.cpp pre-tokenizer {@code preType} and its regexes. */
    record LlamaCpp(String preType, List<String> regexes) implements Source {
    }

    /** A tokenizer.json; {@code normalizer}, {@code preTokenizer} and {@code postProcessor} are its JSON text. */
    record HfJson(String normalizer, String preTokenizer, String postProcessor) implements Source {
    }

    private final BpeModel model;
    private final List<PreSplit> steps;
    /** True when byte-level mapping is the last step: pieces are then cached before it, as typed. */
    private final boolean byteLevelLast;
    private final java.util.concurrent.ConcurrentHashMap<String, int[]> pieceCache =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final int PIECE_CACHE_LIMIT = 1 << 16;
    private final int[] types;
    private final SpecialTokens specials;
    private final int bos;
    private final int eos;
    private final int[] prefix;
    private final int[] suffix;
    private final Source source;

    ByteLevelBpeTokenizer(BpeModel model, List<PreSplit> steps, int[] types, SpecialTokens specials,
                          int bos, int eos, int[] prefix, int[] suffix, Source source) {
        this.model = model;
        this.byteLevelLast = !steps.isEmpty() && steps.getLast() instanceof HfSplits.ByteLevelMark;
        this.steps = List.copyOf(byteLevelLast ? steps.subList(0, steps.size() - 1) : steps);
        this.types = types;
        this.specials = specials;
        this.bos = bos;
        this.eos = eos;
        this.prefix = prefix;
        this.suffix = suffix;
        this.source = source;
    }

    /** Loads a GGUF vocabulary whose {@code tokenizer.ggml.model} is {@code gpt2}. */
    public static ByteLevelBpeTokenizer fromGguf(dev.plinth.io.gguf.GgufFile gguf) throws java.io.IOException {
        return ByteLevelBpeGguf.load(gguf);
    }

    /** Loads a tokenizer.json whose model is BPE with a ByteLevel pre-tokenizer or decoder. */
    public static ByteLevelBpeTokenizer fromTokenizerJson(java.nio.file.Path path) throws java.io.IOException {
        return ByteLevelBpeJson.load(path);
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        BpeModel.IntList out = new BpeModel.IntList(text.length() / 3 + 4);
        if (addSpecial) {
            out.addAll(prefix);
        }
        if (specials.entries().isEmpty()) {
            encodeText(text, out);
        } else {
            for (SpecialTokens.Fragment fragment : specials.split(text, parseSpecial)) {
                switch (fragment) {
                    case SpecialTokens.Token(int id) -> out.add(id);
                    case SpecialTokens.Text(String plain) -> encodeText(plain, out);
                }
            }
        }
        if (addSpecial) {
            out.addAll(suffix);
        }
        return out.toArray();
    }

    private void encodeText(String text, BpeModel.IntList out) {
        if (text.isEmpty()) {
            return;
        }
        List<String> pieces = new ArrayList<>(text.length() / 4 + 4);
        pieces.add(text);
        for (PreSplit step : steps) {
            List<String> next = new ArrayList<>(pieces.size() * 2 + 8);
            for (String p : pieces) {
                step.split(p, next);
            }
            pieces = next;
        }
        for (String p : pieces) {
            if (byteLevelLast) {
                int[] ids = pieceCache.get(p);
                if (ids == null) {
                    ids = model.encodeUncached(ByteLevel.encode(p));
                    if (pieceCache.size() >= PIECE_CACHE_LIMIT) {
                        pieceCache.clear();
                    }
                    pieceCache.put(p, ids);
                }
                out.addAll(ids);
            } else {
                model.encode(p, out);
            }
        }
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        String[] tokens = model.tokens();
        for (int id : ids) {
            if (id < 0 || id >= tokens.length) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + tokens.length + ")");
            }
            int type = types[id];
            if (type == CONTROL || type == USER_DEFINED || type == UNKNOWN) {
                bytes.writeBytes(tokens[id].getBytes(StandardCharsets.UTF_8));
            } else {
                ByteLevel.decodeInto(tokens[id], bytes);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public String piece(int id) {
        return model.tokens()[id];
    }

    @Override
    public int vocabSize() {
        return model.tokens().length;
    }

    @Override
    public int bosId() {
        return bos;
    }

    @Override
    public int eosId() {
        return eos;
    }

    /** The llama.cpp token type of {@code id} (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte). */
    public int tokenType(int id) {
        return types[id];
    }

    /** Where this tokenizer came from and how it pre-tokenizes. */
    public Source source() {
        return source;
    }

    BpeModel model() {
        return model;
    }

    SpecialTokens specialTokens() {
        return specials;
    }

    int[] prefix() {
        return prefix.clone();
    }

    int[] suffix() {
        return suffix.clone();
    }
}
