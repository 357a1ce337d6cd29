package dev.plinth.text;

import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufFile;

/** Builds tokenizers from GGUF metadata with llama.cpp's defaults and overrides. */
final class GgufTokenizers {
    private GgufTokenizers() {
    }

    static SpmTokenizer spm(GgufFile gguf) throws ModelFormatException {
        Vocabulary vocab = Vocabulary.fromGguf(gguf);
        int bos = specialId(gguf, vocab, "tokenizer.ggml.bos_token_id", 1);
        int eos = specialId(gguf, vocab, "tokenizer.ggml.eos_token_id", 2);
        int unk = specialId(gguf, vocab, "tokenizer.ggml.unknown_token_id", 0);
        boolean addSpacePrefix = gguf.getBool("tokenizer.ggml.add_space_prefix", true);
        boolean addBos = gguf.getBool("tokenizer.ggml.add_bos_token", true);
        boolean addEos = gguf.getBool("tokenizer.ggml.add_eos_token", false);
        checkAdd(gguf, addBos, bos, "tokenizer.ggml.add_bos_token");
        checkAdd(gguf, addEos, eos, "tokenizer.ggml.add_eos_token");
        SpecialTokens specials = SpecialTokens.llamaCpp(vocab, gguf.getString("general.name", ""));
        return new SpmTokenizer(vocab, specials, new SpmTokenizer.ByScore(),
                addSpacePrefix ? SpmTokenizer.SpacePrefix.AFTER_TOKENS : SpmTokenizer.SpacePrefix.NEVER, false,
                new SpmTokenizer.Fallback(true, unk, false), addBos ? new int[] {bos} : new int[0],
                addEos ? new int[] {eos} : new int[0], bos, eos, addSpacePrefix);
    }

    static WordPieceTokenizer wordPiece(GgufFile gguf) throws ModelFormatException {
        Vocabulary vocab = Vocabulary.fromGguf(gguf);
        int cls = specialId(gguf, vocab, "tokenizer.ggml.bos_token_id", 101);
        int unk = specialId(gguf, vocab, "tokenizer.ggml.unknown_token_id", 100);
        int sep = specialId(gguf, vocab, "tokenizer.ggml.seperator_token_id", 102);
        int eos = specialId(gguf, vocab, "tokenizer.ggml.eos_token_id", -1);
        if (cls < 0 || sep < 0 || unk < 0) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.bos_token_id", -1,
                    "a bert vocabulary needs [CLS], [SEP] and [UNK] ids inside the vocabulary of " + vocab.size());
        }
        boolean lowercase = gguf.getBool("tokenizer.ggml.normalizer.lowercase", true);
        boolean strip = gguf.getBool("tokenizer.ggml.normalizer.strip_accents", lowercase);
        SpecialTokens specials = SpecialTokens.llamaCpp(vocab, gguf.getString("general.name", ""));
        return new WordPieceTokenizer(vocab, specials, WordPieceTokenizer.Dialect.LLAMA_CPP,
                new WordPieceTokenizer.Normalization(false, true, strip, lowercase), "", Integer.MAX_VALUE, unk,
                new int[] {cls}, new int[] {sep}, cls, eos, true);
    }

    /** The id under {@code key}, else the default; -1 when outside the vocabulary (as llama.cpp). */
    static int specialId(GgufFile gguf, Vocabulary vocab, String key, int fallback) {
        long v = gguf.getLong(key, Long.MIN_VALUE);
        if (v != Long.MIN_VALUE && v >= 0 && v < vocab.size()) {
            return (int) v;
        }
        return fallback >= 0 && fallback < vocab.size() ? fallback : -1;
    }

    private static void checkAdd(GgufFile gguf, boolean add, int id, String key) throws ModelFormatException {
        if (add && id < 0) {
            throw new ModelFormatException(gguf.path(), key, -1, "is true, but the token to add is not in the vocabulary");
        }
    }
}
