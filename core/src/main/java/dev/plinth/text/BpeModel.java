package dev.plinth.text;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE over one pre-token: the word's characters start as symbols, and the adjacent pair
 * with the lowest merge rank (leftmost on ties) is merged until no ranked pair is left — the loop
 * of llama.cpp's {@code llm_tokenizer_bpe_session} and HF's BPE model. Symbols are ints: vocabulary
 * ids, then extra ids for merge results and characters absent from the vocabulary. Results are
 * cached per pre-token.
 */
final class BpeModel {
    /** What happens to a final symbol that is not a vocabulary entry. */
    enum Fallback {
        /** llama.cpp: each ASCII character of its text that is a token, others dropped. */
        LLAMA_CPP,
        /** HF: the unknown token when there is one, else dropped. */
        UNK
    }

    private static final int CACHE_LIMIT = 1 << 16;

    private final String[] tokens;
    private final Map<String, Integer> ids;
    private final String[] symbolText;
    private final int[] charSymbol;
    private final LongLongMap merges;
    private final List<String[]> mergeList;
    private final boolean ignoreMerges;
    private final Fallback fallback;
    private final int unkId;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param merges pairs in rank order; a pair seen again keeps its first rank (llama.cpp);
     *               HF callers pass lists without duplicates
     */
    BpeModel(String[] tokens, Map<String, Integer> ids, List<String[]> merges, boolean ignoreMerges,
             Fallback fallback, int unkId) {
        this.tokens = tokens;
        this.ids = ids;
        this.ignoreMerges = ignoreMerges;
        this.fallback = fallback;
        this.unkId = unkId;
        this.mergeList = List.copyOf(merges);
        Map<String, Integer> extra = new HashMap<>();
        java.util.ArrayList<String> extraText = new java.util.ArrayList<>();
        charSymbol = new int[512];
        for (int b = 0; b < 256; b++) {
            char c = ByteLevel.charOf(b);
            charSymbol[c] = symbolOf(String.valueOf(c), extra, extraText);
        }
        this.merges = new LongLongMap(merges.size() * 2);
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] m = merges.get(rank);
            int left = symbolOf(m[0], extra, extraText);
            int right = symbolOf(m[1], extra, extraText);
            int merged = symbolOf(m[0] + m[1], extra, extraText);
            long key = pairKey(left, right);
            if (!this.merges.containsKey(key)) {
                this.merges.put(key, ((long) rank << 32) | (merged & 0xffffffffL));
            }
        }
        symbolText = extraText.toArray(String[]::new);
    }

    private int symbolOf(String text, Map<String, Integer> extra, java.util.ArrayList<String> extraText) {
        Integer id = ids.get(text);
        if (id != null) {
            return id;
        }
        return extra.computeIfAbsent(text, t -> {
            extraText.add(t);
            return tokens.length + extraText.size() - 1;
        });
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    String[] tokens() {
        return tokens;
    }

    Map<String, Integer> ids() {
        return ids;
    }

    List<String[]> merges() {
        return mergeList;
    }

    boolean ignoreMerges() {
        return ignoreMerges;
    }

    int unkId() {
        return unkId;
    }

    /** Appends the ids of one byte-level pre-token to {@code out}. */
    void encode(String word, IntList out) {
        int[] cached = cache.get(word);
        if (cached == null) {
            cached = encodeUncached(word);
            if (cache.size() >= CACHE_LIMIT) {
                cache.clear();
            }
            cache.put(word, cached);
        }
        out.addAll(cached);
    }

    int[] encodeUncached(String word) {
        int n = word.length();
        if (n == 0) {
            return new int[0];
        }
        if (ignoreMerges) {
            Integer id = ids.get(word);
            if (id != null) {
                return new int[] {id};
            }
        }
        int[] sym = new int[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            char c = word.charAt(i);
            int s = c < charSymbol.length ? charSymbol[c] : symbolForChar(c);
            if (s >= tokens.length && fallback == Fallback.UNK) {
                // HF: a character outside the vocabulary becomes the unknown token, or vanishes
                if (unkId < 0) {
                    continue;
                }
                s = unkId;
            }
            sym[count++] = s;
        }
        n = count;
        if (n == 0) {
            return new int[0];
        }
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            push(heap, sym, i, i + 1);
        }
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int left = (int) top;
            int rank = (int) (top >>> 32);
            int right = next[left];
            if (sym[left] < 0 || right < 0) {
                continue;
            }
            long v = merges.get(pairKey(sym[left], sym[right]));
            if (v == LongLongMap.MISSING || (int) (v >>> 32) != rank) {
                continue;
            }
            sym[left] = (int) v;
            sym[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                push(heap, sym, prev[left], left);
            }
            if (next[left] >= 0) {
                push(heap, sym, left, next[left]);
            }
        }
        IntList out = new IntList(n);
        for (int i = 0; i >= 0; i = next[i]) {
            emit(sym[i], out);
        }
        return out.toArray();
    }

    private int symbolForChar(char c) {
        Integer id = ids.get(String.valueOf(c));
        return id != null ? id : Integer.MAX_VALUE;
    }

    private void push(LongHeap heap, int[] sym, int left, int right) {
        long v = merges.get(pairKey(sym[left], sym[right]));
        if (v != LongLongMap.MISSING) {
            heap.push((v & 0xffffffff00000000L) | left);
        }
    }

    private void emit(int symbol, IntList out) {
        if (symbol < tokens.length) {
            out.add(symbol);
            return;
        }
        if (fallback == Fallback.UNK) {
            if (unkId >= 0) {
                out.add(unkId);
            }
            return;
        }
        String text = symbol - tokens.length < symbolText.length ? symbolText[symbol - tokens.length] : "";
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < 0x80) {
                Integer id = ids.get(String.valueOf(text.charAt(i)));
                if (id != null) {
                    out.add(id);
                }
            }
        }
    }

    /** A growable int array. */
    static final class IntList {
        private int[] a;
        private int size;

        IntList(int capacity) {
            a = new int[Math.max(4, capacity)];
        }

        void add(int v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, a.length * 2);
            }
            a[size++] = v;
        }

        void addAll(int[] vs) {
            if (size + vs.length > a.length) {
                a = Arrays.copyOf(a, Math.max(a.length * 2, size + vs.length));
            }
            System.arraycopy(vs, 0, a, size, vs.length);
            size += vs.length;
        }

        int size() {
            return size;
        }

        int[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }

    /** Binary min-heap of longs. */
    static final class LongHeap {
        private long[] h;
        private int size;

        LongHeap(int capacity) {
            h = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long v) {
            if (size == h.length) {
                h = Arrays.copyOf(h, h.length * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (h[parent] <= v) {
                    break;
                }
                h[i] = h[parent];
                i = parent;
            }
            h[i] = v;
        }

        long pop() {
            long top = h[0];
            long last = h[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && h[child + 1] < h[child]) {
                    child++;
                }
                if (h[child] >= last) {
                    break;
                }
                h[i] = h[child];
                i = child;
            }
            h[i] = last;
            return top;
        }
    }

    /** Open-addressing long-to-long map (keys never equal to {@link #EMPTY}). */
    static final class LongLongMap {
        static final long MISSING = Long.MIN_VALUE;
        private static final long EMPTY = -1L;
        private long[] keys;
        private long[] values;
        private int mask;

        LongLongMap(int expected) {
            int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
            keys = new long[cap];
            values = new long[cap];
            Arrays.fill(keys, EMPTY);
            mask = cap - 1;
        }

        private int slot(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h >>> 40) & mask;
        }

        boolean containsKey(long key) {
            return get(key) != MISSING;
        }

        long get(long key) {
            for (int i = slot(key); ; i = (i + 1) & mask) {
                long k = keys[i];
                if (k == key) {
                    return values[i];
                }
                if (k == EMPTY) {
                    return MISSING;
                }
            }
        }

        void put(long key, long value) {
            for (int i = slot(key); ; i = (i + 1) & mask) {
                if (keys[i] == EMPTY || keys[i] == key) {
                    keys[i] = key;
                    values[i] = value;
                    return;
                }
            }
        }
    }
}
