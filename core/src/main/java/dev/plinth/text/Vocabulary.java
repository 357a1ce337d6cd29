package dev.plinth.text;

import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.gguf.GgufType;
import dev.plinth.io.gguf.GgufValue;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Token pieces with their scores and llama.cpp token types, and the reverse lookup. Pieces are
 * stored as the vocabulary holds them (SentencePiece's ▁, WordPiece's ##, GPT-2's byte map).
 */
final class Vocabulary {
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;
    static final int BYTE = 6;

    private final String[] pieces;
    private final float[] scores;
    private final int[] types;
    private final Map<String, Integer> ids;
    /** Open-addressing table of ids by piece hash, for lookups of a text range without a copy. */
    private final int[] table;
    private final int maxPieceChars;

    Vocabulary(String[] pieces, float[] scores, int[] types) {
        if (pieces.length != scores.length || pieces.length != types.length) {
            throw new IllegalArgumentException("pieces, scores and types differ in length");
        }
        this.pieces = pieces;
        this.scores = scores;
        this.types = types;
        this.ids = new HashMap<>(pieces.length * 2);
        int max = 0;
        for (int i = 0; i < pieces.length; i++) {
            Integer previous = ids.putIfAbsent(pieces[i], i);
            if (previous != null) {
                throw new IllegalArgumentException("duplicate piece '" + pieces[i] + "' at ids " + previous + " and " + i);
            }
            max = Math.max(max, pieces[i].length());
        }
        this.maxPieceChars = max;
        int capacity = Integer.highestOneBit(Math.max(4, pieces.length * 2)) << 1;
        this.table = new int[capacity];
        java.util.Arrays.fill(table, -1);
        for (int i = 0; i < pieces.length; i++) {
            int slot = hash(pieces[i], 0, pieces[i].length()) & (capacity - 1);
            while (table[slot] >= 0) {
                slot = (slot + 1) & (capacity - 1);
            }
            table[slot] = i;
        }
    }

    private static int hash(String s, int from, int to) {
        int h = 0;
        for (int i = from; i < to; i++) {
            h = 31 * h + s.charAt(i);
        }
        // murmur3's finalizer: spreads String-style hashes so that linear probing stays short
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        return h ^ (h >>> 16);
    }

    /** The id of the piece equal to {@code s[from, to)}, or -1; no copy of the range is made. */
    int id(String s, int from, int to) {
        int mask = table.length - 1;
        int len = to - from;
        for (int slot = hash(s, from, to) & mask; ; slot = (slot + 1) & mask) {
            int id = table[slot];
            if (id < 0) {
                return -1;
            }
            String p = pieces[id];
            if (p.length() == len && s.regionMatches(from, p, 0, len)) {
                return id;
            }
        }
    }

    /**
     * Reads {@code tokenizer.ggml.tokens}, {@code .scores} and {@code .token_type} as llama.cpp
     * does: missing scores are 0, missing types NORMAL, an empty piece becomes {@code [EMPTY_i]}.
     */
    static Vocabulary fromGguf(GgufFile gguf) throws ModelFormatException {
        List<Object> tokens = array(gguf, "tokenizer.ggml.tokens", GgufType.STRING, true);
        int n = tokens.size();
        List<Object> scoreList = array(gguf, "tokenizer.ggml.scores", null, false);
        List<Object> typeList = array(gguf, "tokenizer.ggml.token_type", null, false);
        if (!scoreList.isEmpty() && scoreList.size() < n) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.scores", -1,
                    scoreList.size() + " scores for " + n + " tokens");
        }
        if (!typeList.isEmpty() && typeList.size() < n) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.token_type", -1,
                    typeList.size() + " token types for " + n + " tokens");
        }
        String[] pieces = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            String piece = (String) tokens.get(i);
            pieces[i] = piece.isEmpty() ? "[EMPTY_" + i + "]" : piece;
            scores[i] = scoreList.isEmpty() ? 0f : ((Number) scoreList.get(i)).floatValue();
            types[i] = typeList.isEmpty() ? NORMAL : ((Number) typeList.get(i)).intValue();
        }
        forceLlamaCppAttributes(pieces, types);
        try {
            return new Vocabulary(pieces, scores, types);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.tokens", -1, e.getMessage());
        }
    }

    /**
     * llama.cpp recognises end-of-generation and fill-in-the-middle tokens by their text and makes
     * them CONTROL even when the file says otherwise (so they are not split from text unless
     * parseSpecial); four gpt-oss tokens become USER_DEFINED.
     */
    private static void forceLlamaCppAttributes(String[] pieces, int[] types) {
        for (int i = 0; i < pieces.length; i++) {
            if (FORCED_CONTROL.contains(pieces[i])) {
                types[i] = CONTROL;
            } else if (FORCED_USER_DEFINED.contains(pieces[i])) {
                types[i] = USER_DEFINED;
            }
        }
    }

    private static final java.util.Set<String> FORCED_USER_DEFINED =
            java.util.Set.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>");

    private static final java.util.Set<String> FORCED_CONTROL = java.util.Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
            "<EOT>", "_<EOT>", "[EOT]", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>", "<end_of_utterance>",
            "<|eom_id|>", "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\uFF5Cfim\u2581begin\uFF5C>",
            "<PRE>", "\u2581<PRE>", "<|code_prefix|>", "<|prefix|>", "<|fim_suffix|>", "<fim-suffix>",
            "<fim_suffix>", "<\uFF5Cfim\u2581hole\uFF5C>", "<SUF>", "\u2581<SUF>", "<|code_suffix|>",
            "<|suffix|>", "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\uFF5Cfim\u2581end\uFF5C>", "<MID>",
            "\u2581<MID>", "<|code_middle|>", "<|middle|>", "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>",
            "[PAD]", "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>",
            "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "</s>", "[EOS]", "<eos>", "<turn|>",
            "<|tool_response>", "[e~[");

    private static List<Object> array(GgufFile gguf, String key, GgufType elementType, boolean required)
            throws ModelFormatException {
        GgufValue v = gguf.metadata().get(key);
        if (v == null) {
            if (required) {
                throw new ModelFormatException(gguf.path(), key, -1, "missing: the file holds no tokenizer vocabulary");
            }
            return List.of();
        }
        if (v.type() != GgufType.ARRAY) {
            throw new ModelFormatException(gguf.path(), key, -1, "expected an array, found " + v.type());
        }
        GgufValue.GgufArray a = v.asArray();
        GgufType t = a.elementType();
        boolean ok = elementType != null ? t == elementType
                : t == GgufType.FLOAT32 || t == GgufType.INT32 || t == GgufType.UINT32;
        if (!ok) {
            throw new ModelFormatException(gguf.path(), key, -1, "unexpected element type " + t);
        }
        return a.elements();
    }

    int size() {
        return pieces.length;
    }

    String piece(int id) {
        return pieces[id];
    }

    float score(int id) {
        return scores[id];
    }

    int type(int id) {
        return types[id];
    }

    /** The id of {@code piece}, or -1. */
    int id(String piece) {
        Integer id = ids.get(piece);
        return id == null ? -1 : id;
    }

    int maxPieceChars() {
        return maxPieceChars;
    }

    boolean contains(int id) {
        return id >= 0 && id < pieces.length;
    }

    /** The {@code <0xXX>} piece of {@code b}, else (as llama.cpp) the one-byte piece, else -1. */
    int byteToken(int b) {
        int id = id(String.format("<0x%02X>", b & 0xFF));
        if (id < 0 && (b & 0xFF) < 0x80) {
            id = id(String.valueOf((char) (b & 0xFF)));
        }
        return id;
    }

    /** The byte of a {@code <0xXX>} piece, or -1 when {@code id} is not one. */
    int tokenByte(int id) {
        String p = pieces[id];
        if (p.length() == 6 && p.startsWith("<0x") && p.charAt(5) == '>') {
            int hi = Character.digit(p.charAt(3), 16);
            int lo = Character.digit(p.charAt(4), 16);
            if (hi >= 0 && lo >= 0) {
                return hi * 16 + lo;
            }
        }
        return -1;
    }
}
