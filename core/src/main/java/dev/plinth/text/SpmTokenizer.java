package dev.plinth.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece-style BPE over ▁-escaped text, as llama.cpp's SPM tokenizer and Hugging Face's
 * BPE model with byte fallback (Llama-2, Mistral, TinyLlama) do it: the text is split into code
 * points, adjacent pairs are merged best first (llama.cpp: by the score of the merged piece; HF:
 * by the rank of the merge), ties going to the leftmost pair; a symbol that is no piece falls
 * back to its UTF-8 bytes as {@code <0xXX>} pieces (or the unknown token).
 */
final class SpmTokenizer implements Tokenizer {

    /** Where a ▁ is put in front of a text fragment. */
    enum SpacePrefix {
        /** Every text fragment at the start or after a token (llama.cpp, HF {@code Prepend}). */
        AFTER_TOKENS,
        /** As AFTER_TOKENS, but not before a fragment that starts with a space (HF Metaspace "always"). */
        AFTER_TOKENS_UNLESS_SPACE,
        /** Only a text fragment at the very start, not starting with a space (HF Metaspace "first"). */
        FIRST_UNLESS_SPACE,
        NEVER
    }

    /** How merges are chosen. */
    sealed interface MergeRule permits ByScore, ByRank {
    }

    /** llama.cpp: any adjacent pair whose concatenation is a piece, best piece score first. */
    record ByScore() implements MergeRule {
    }

    /** Hugging Face: pairs listed in {@code merges}, lowest rank first. Key: left + '\0' + right. */
    record ByRank(Map<String, Integer> ranks) implements MergeRule {
    }

    /** What becomes of a symbol that is no piece. */
    record Fallback(boolean bytes, int unkId, boolean fuseUnk) {
    }

    private final Vocabulary vocab;
    private final SpecialTokens specials;
    private final MergeRule rule;
    private final SpacePrefix prefix;
    private final boolean splitOnSpace;
    private final Fallback fallback;
    private final int[] prefixIds;
    private final int[] suffixIds;
    private final int bosId;
    private final int eosId;
    private final boolean stripLeadingSpace;

    SpmTokenizer(Vocabulary vocab, SpecialTokens specials, MergeRule rule, SpacePrefix prefix,
            boolean splitOnSpace, Fallback fallback, int[] prefixIds, int[] suffixIds, int bosId, int eosId,
            boolean stripLeadingSpace) {
        this.vocab = vocab;
        this.specials = specials;
        this.rule = rule;
        this.prefix = prefix;
        this.splitOnSpace = splitOnSpace;
        this.fallback = fallback;
        this.prefixIds = prefixIds.clone();
        this.suffixIds = suffixIds.clone();
        this.bosId = bosId;
        this.eosId = eosId;
        this.stripLeadingSpace = stripLeadingSpace;
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList(text.length() / 2 + 4);
        if (addSpecial) {
            out.addAll(prefixIds);
        }
        List<SpecialTokens.Fragment> fragments = specials.split(text, parseSpecial);
        boolean afterToken = true;
        for (int i = 0; i < fragments.size(); i++) {
            switch (fragments.get(i)) {
                case SpecialTokens.Token(int id) -> {
                    out.add(id);
                    afterToken = true;
                }
                case SpecialTokens.Text(String raw) -> {
                    boolean addPrefix = switch (prefix) {
                        case AFTER_TOKENS -> afterToken;
                        case AFTER_TOKENS_UNLESS_SPACE -> !raw.startsWith(" ");
                        case FIRST_UNLESS_SPACE -> i == 0 && !raw.startsWith(" ");
                        case NEVER -> false;
                    };
                    String escaped = ((addPrefix ? " " : "") + raw).replace(' ', '\u2581');
                    encodeEscaped(escaped, out);
                    afterToken = false;
                }
            }
        }
        if (addSpecial) {
            out.addAll(suffixIds);
        }
        return out.toArray();
    }

    private void encodeEscaped(String escaped, IntList out) {
        if (!splitOnSpace) {
            encodeWord(escaped, out);
            return;
        }
        int start = 0;
        for (int i = 1; i < escaped.length(); i++) {
            if (escaped.charAt(i) == '\u2581') {
                encodeWord(escaped.substring(start, i), out);
                start = i;
            }
        }
        encodeWord(escaped.substring(start), out);
    }

    private record Bigram(int left, int right, double priority, int size) {
    }

    /** Merges the code points of {@code word} and appends the resulting ids. */
    void encodeWord(String word, IntList out) {
        if (word.isEmpty()) {
            return;
        }
        int n = word.codePointCount(0, word.length());
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, off = 0; i < n; i++) {
            int cc = Character.charCount(word.codePointAt(off));
            start[i] = off;
            len[i] = cc;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            off += cc;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.priority != b.priority
                ? Double.compare(b.priority, a.priority) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) {
            tryAdd(word, start, len, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            if (len[b.left] == 0 || len[b.right] == 0 || len[b.left] + len[b.right] != b.size) {
                continue;
            }
            len[b.left] += len[b.right];
            len[b.right] = 0;
            next[b.left] = next[b.right];
            if (next[b.right] >= 0) {
                prev[next[b.right]] = b.left;
            }
            if (prev[b.left] >= 0) {
                tryAdd(word, start, len, prev[b.left], b.left, queue);
            }
            if (next[b.left] >= 0) {
                tryAdd(word, start, len, b.left, next[b.left], queue);
            }
        }
        boolean lastUnk = false;
        for (int i = 0; i != -1; i = next[i]) {
            int id = vocab.id(word, start[i], start[i] + len[i]);
            if (id >= 0) {
                out.add(id);
                lastUnk = false;
                continue;
            }
            String symbol = word.substring(start[i], start[i] + len[i]);
            if (fallback.bytes() && appendBytes(symbol, out)) {
                lastUnk = false;
                continue;
            }
            if (!(fallback.fuseUnk() && lastUnk) && fallback.unkId() >= 0) {
                out.add(fallback.unkId());
            }
            lastUnk = true;
        }
    }

    private boolean appendBytes(String symbol, IntList out) {
        byte[] bytes = symbol.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int j = 0; j < bytes.length; j++) {
            ids[j] = vocab.byteToken(bytes[j]);
            if (ids[j] < 0) {
                return false;
            }
        }
        out.addAll(ids);
        return true;
    }

    private void tryAdd(String word, int[] start, int[] len, int left, int right, PriorityQueue<Bigram> queue) {
        int from = start[left];
        int to = start[right] + len[right];
        double priority;
        switch (rule) {
            case ByScore s -> {
                int id = vocab.id(word, from, to);
                if (id < 0) {
                    return;
                }
                priority = vocab.score(id);
            }
            case ByRank(Map<String, Integer> ranks) -> {
                Integer rank = ranks.get(word.substring(from, start[right]) + '\0'
                        + word.substring(start[right], to));
                if (rank == null) {
                    return;
                }
                priority = -rank.doubleValue();
            }
        }
        queue.add(new Bigram(left, right, priority, to - from));
    }

    /**
     * The text of {@code ids}: ▁ becomes a space, byte pieces are reassembled into UTF-8 (invalid
     * sequences become U+FFFD), special and user-defined tokens appear as their text, unused
     * tokens as nothing; the space put in front by the space prefix is removed from the first
     * token (as llama.cpp's detokenize and HF's Strip decoder do).
     */
    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (!vocab.contains(id)) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + vocab.size());
            }
            byte[] piece = switch (vocab.type(id)) {
                case Vocabulary.NORMAL -> vocab.piece(id).replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
                case Vocabulary.BYTE -> vocab.tokenByte(id) >= 0 ? new byte[] {(byte) vocab.tokenByte(id)} : new byte[0];
                case Vocabulary.CONTROL, Vocabulary.UNKNOWN, Vocabulary.USER_DEFINED ->
                        vocab.piece(id).getBytes(StandardCharsets.UTF_8);
                default -> new byte[0];
            };
            int from = i == 0 && stripLeadingSpace && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            bytes.write(piece, from, piece.length - from);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The special and user-defined tokens split from text before tokenizing. */
    SpecialTokens specialTokens() {
        return specials;
    }

    @Override
    public String piece(int id) {
        return vocab.piece(id);
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int bosId() {
        return bosId;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    Vocabulary vocabulary() {
        return vocab;
    }
}
