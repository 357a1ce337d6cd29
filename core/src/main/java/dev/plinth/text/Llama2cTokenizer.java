package dev.plinth.text;

import dev.plinth.io.llama2c.Llama2cVocabulary;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * llama2.c's tokenizer ({@code run.c} encode/decode) over a {@code tokenizer.bin} vocabulary:
 * the BOS token and a " " dummy prefix start the sequence, each code point becomes its piece or
 * its bytes ({@code byte + 3}), then the pair whose concatenated piece has the best score is merged
 * until none is left (ties: leftmost). Pieces hold plain spaces (no ▁). Special-token text in the
 * input is never parsed: llama2.c has no such step.
 */
final class Llama2cTokenizer implements Tokenizer {
    private static final int BOS = 1;
    private static final int EOS = 2;
    /** Byte b is token b + 3: llama2.c's vocabularies start with <unk>, <s>, </s>. */
    private static final int BYTE_OFFSET = 3;
    /** llama2.c's initial best score: pairs scoring at or below it are never merged. */
    private static final float NO_MERGE = -1e10f;

    private final Llama2cVocabulary vocab;
    private final Map<String, Integer> ids;

    Llama2cTokenizer(Llama2cVocabulary vocab) {
        if (vocab.size() < BYTE_OFFSET + 256) {
            throw new IllegalArgumentException("a llama2.c vocabulary needs <unk>, <s>, </s> and 256 byte tokens; this one has "
                    + vocab.size() + " tokens");
        }
        this.vocab = vocab;
        this.ids = new HashMap<>(vocab.size() * 2);
        for (int i = 0; i < vocab.size(); i++) {
            ids.putIfAbsent(vocab.piece(i), i);
        }
    }

    private record Pair(int left, int right, int leftId, int rightId, int merged, float score) {
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList initial = new IntList(text.length() + 2);
        if (addSpecial) {
            initial.add(BOS);
        }
        if (!text.isEmpty()) {
            initial.add(ids.getOrDefault(" ", 0));
        }
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            String ch = Character.toString(cp);
            i += ch.length();
            Integer id = ids.get(ch);
            if (id != null) {
                initial.add(id);
            } else {
                for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
                    initial.add((b & 0xFF) + BYTE_OFFSET);
                }
            }
        }
        int n = initial.size();
        int[] tok = initial.toArray();
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        PriorityQueue<Pair> queue = new PriorityQueue<>((a, b) -> a.score != b.score
                ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 0; i + 1 < n; i++) {
            offer(queue, tok, i, i + 1);
        }
        while (!queue.isEmpty()) {
            Pair p = queue.poll();
            if (dead[p.left] || dead[p.right] || next[p.left] != p.right || tok[p.left] != p.leftId
                    || tok[p.right] != p.rightId) {
                continue;
            }
            tok[p.left] = p.merged;
            dead[p.right] = true;
            next[p.left] = next[p.right];
            if (next[p.right] >= 0) {
                prev[next[p.right]] = p.left;
            }
            if (prev[p.left] >= 0) {
                offer(queue, tok, prev[p.left], p.left);
            }
            if (next[p.left] >= 0) {
                offer(queue, tok, p.left, next[p.left]);
            }
        }
        IntList out = new IntList(n + 1);
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) {
            out.add(tok[i]);
        }
        return out.toArray();
    }

    private void offer(PriorityQueue<Pair> queue, int[] tok, int left, int right) {
        Integer merged = ids.get(vocab.piece(tok[left]) + vocab.piece(tok[right]));
        if (merged != null && vocab.score(merged) > NO_MERGE) {
            queue.add(new Pair(left, right, tok[left], tok[right], merged, vocab.score(merged)));
        }
    }

    /**
     * llama2.c's decode: {@code <0xXX>} pieces are raw bytes, and the leading space of a piece is
     * dropped after BOS; Plinth drops it at the very start too, so that decode inverts encode.
     */
    @Override
    public String decode(int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prevToken = BOS;
        for (int id : tokens) {
            if (id < 0 || id >= vocab.size()) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + vocab.size());
            }
            String piece = vocab.piece(id);
            if (prevToken == BOS && piece.startsWith(" ")) {
                piece = piece.substring(1);
            }
            int b = byteOf(piece);
            if (b >= 0) {
                out.write(b);
            } else {
                out.writeBytes(piece.getBytes(StandardCharsets.UTF_8));
            }
            prevToken = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static int byteOf(String piece) {
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            int hi = Character.digit(piece.charAt(3), 16);
            int lo = Character.digit(piece.charAt(4), 16);
            return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        }
        return -1;
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
        return BOS;
    }

    @Override
    public int eosId() {
        return EOS;
    }
}
