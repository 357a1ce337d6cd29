package dev.plinth.text;

import dev.plinth.io.gguf.GgufType;
import dev.plinth.io.gguf.GgufValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Trains a byte-level BPE vocabulary on a corpus.
 *
 * <p>Documents are cut into pre-tokens by a llama.cpp pre-tokenizer (by its {@code tokenizer.ggml.pre}
 * name, e.g. {@code gpt-2} or {@code llama-bpe}); occurrences of the special tokens are cut out first
 * and never learnt from. Pre-tokens are counted on all cores. The merge loop then repeatedly merges the
 * most frequent adjacent pair of symbols, counting each pre-token as often as it occurs.
 *
 * <p><b>Ties</b> between pairs of equal frequency go to the pair whose left symbol's bytes are
 * smallest (unsigned lexicographic order), then whose right symbol's bytes are smallest. Training is
 * therefore a pure function of the corpus (as a multiset of documents) and the settings: the same
 * input gives byte-identical files, whatever the number of threads.
 *
 * <p><b>Vocabulary layout</b>: ids 0..255 are the 256 byte tokens in byte order (GPT-2's byte
 * characters), then the merged tokens in the order they were learnt, then the special tokens (control
 * tokens) in the order given. When a merge yields a string that is already a token (e.g. {@code ab+c}
 * after {@code a+bc}) the merge is recorded but reuses that token, so the vocabulary reaches
 * {@code vocabSize} exactly unless the corpus runs out of pairs first. The first special token is
 * the end-of-sequence token; no BOS is added.
 *
 * <p>Pair counts are kept incrementally: a max-priority queue with lazily discarded stale entries,
 * and per pair an index of the pre-tokens it occurs in, so a merge touches only those pre-tokens.
 */
public final class BpeTrainer {
    /** Training progress: documents and bytes counted so far, merges done of the merges wanted. */
    public record Progress(long documents, long bytes, int merges, int mergesWanted) {
    }

    private static final int BATCH_CHARS = 1 << 20;

    private final int vocabSize;
    private final LlamaCppPreTypes.Spec spec;
    private final List<String> specials;
    private final int threads;
    private final Consumer<Progress> progress;

    /**
     * @param vocabSize     wanted vocabulary size, special tokens included; at least 256 + specials
     * @param preTokenizer  llama.cpp pre-tokenizer name ({@code gpt-2}, {@code llama-bpe}, {@code qwen2}, ...)
     * @param specialTokens control tokens appended after the learnt ones, e.g. {@code <|endoftext|>}
     * @param threads       pre-token counting threads (0 = all cores)
     * @param progress      called after each counted batch and every 100 merges (may be null)
     */
    public BpeTrainer(int vocabSize, String preTokenizer, List<String> specialTokens, int threads,
                      Consumer<Progress> progress) {
        this.spec = LlamaCppPreTypes.of(preTokenizer);
        if (spec == null) {
            throw new IllegalArgumentException("unknown pre-tokenizer '" + preTokenizer + "'; known: "
                    + String.join(", ", LlamaCppPreTypes.names()));
        }
        this.specials = List.copyOf(specialTokens);
        if (specials.stream().anyMatch(String::isEmpty) || specials.stream().distinct().count() != specials.size()) {
            throw new IllegalArgumentException("special tokens must be distinct and non-empty: " + specials);
        }
        if (vocabSize < 256 + specials.size()) {
            throw new IllegalArgumentException("vocabSize " + vocabSize + " is below 256 byte tokens + "
                    + specials.size() + " special tokens");
        }
        this.vocabSize = vocabSize;
        this.threads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        this.progress = progress == null ? p -> { } : progress;
    }

    /** GPT-2 pre-tokenizer, all cores, no progress reports. */
    public BpeTrainer(int vocabSize, List<String> specialTokens) {
        this(vocabSize, "gpt-2", specialTokens, 0, null);
    }

    /** Trains on {@code documents}. */
    public ByteLevelBpeTokenizer train(Iterable<String> documents) {
        long[] seen = new long[2];
        Map<String, Long> counts = countPreTokens(documents, seen);
        return build(new Merger(counts, seen[0], seen[1]).run());
    }

    /** Writes {@code tokenizer} as a Hugging Face tokenizer.json (atomically). */
    public static void writeTokenizerJson(ByteLevelBpeTokenizer tokenizer, Path out) throws IOException {
        TokenizerJsonWriter.write(tokenizer, out);
    }

    /**
     * GGUF {@code tokenizer.ggml.*} metadata for a tokenizer from {@link #train}: model {@code gpt2},
     * pre-tokenizer name, tokens, token types, merges, EOS id, no BOS/EOS added.
     */
    public static Map<String, GgufValue> ggufMetadata(ByteLevelBpeTokenizer tokenizer) {
        if (!(tokenizer.source() instanceof ByteLevelBpeTokenizer.LlamaCpp(String pre, List<String> regexes))) {
            throw new IllegalArgumentException("not a tokenizer with a llama.cpp pre-tokenizer");
        }
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put("tokenizer.ggml.model", GgufValue.of("gpt2"));
        meta.put("tokenizer.ggml.pre", GgufValue.of(pre));
        meta.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufType.STRING, List.of(tokenizer.model().tokens())));
        List<Integer> types = new ArrayList<>(tokenizer.vocabSize());
        for (int i = 0; i < tokenizer.vocabSize(); i++) {
            types.add(tokenizer.tokenType(i));
        }
        meta.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufType.INT32, types));
        List<String> merges = new ArrayList<>();
        for (String[] m : tokenizer.model().merges()) {
            merges.add(m[0] + " " + m[1]);
        }
        meta.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufType.STRING, merges));
        if (tokenizer.eosId() >= 0) {
            meta.put("tokenizer.ggml.eos_token_id", GgufValue.ofUint32(tokenizer.eosId()));
        }
        meta.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(false));
        meta.put("tokenizer.ggml.add_eos_token", GgufValue.ofBool(false));
        return meta;
    }

    // ---- pre-token counting ----

    private Map<String, Long> countPreTokens(Iterable<String> documents, long[] seen) {
        SpecialTokens cutter = specialCutter();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "bpe-count");
            t.setDaemon(true);
            return t;
        });
        Map<String, Long> total = new HashMap<>();
        List<Future<Map<String, Long>>> inFlight = new ArrayList<>();
        long docs = 0;
        long bytes = 0;
        try {
            List<String> batch = new ArrayList<>();
            long chars = 0;
            for (String doc : documents) {
                batch.add(doc);
                chars += doc.length();
                docs++;
                bytes += doc.getBytes(StandardCharsets.UTF_8).length;
                if (chars >= BATCH_CHARS) {
                    List<String> work = batch;
                    inFlight.add(pool.submit(() -> count(work, cutter)));
                    batch = new ArrayList<>();
                    chars = 0;
                    if (inFlight.size() >= 2 * threads) {
                        addInto(total, inFlight.removeFirst().get());
                        progress.accept(new Progress(docs, bytes, 0, mergesWanted()));
                    }
                }
            }
            List<String> last = batch;
            inFlight.add(pool.submit(() -> count(last, cutter)));
            for (Future<Map<String, Long>> f : inFlight) {
                addInto(total, f.get());
            }
            progress.accept(new Progress(docs, bytes, 0, mergesWanted()));
            seen[0] = docs;
            seen[1] = bytes;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while counting pre-tokens", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("pre-token counting failed", e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return total;
    }

    private SpecialTokens specialCutter() {
        List<SpecialTokens.Entry> entries = new ArrayList<>();
        for (int i = 0; i < specials.size(); i++) {
            entries.add(new SpecialTokens.Entry(i, specials.get(i), true, false, false));
        }
        return new SpecialTokens(entries, SpecialTokens.Matching.LLAMA_CPP);
    }

    private Map<String, Long> count(List<String> docs, SpecialTokens cutter) {
        List<PreSplit> steps = preSplits();
        Map<String, Long> counts = new HashMap<>();
        List<String> pieces = new ArrayList<>();
        List<String> next = new ArrayList<>();
        for (String doc : docs) {
            for (SpecialTokens.Fragment f : cutter.split(doc, true)) {
                if (!(f instanceof SpecialTokens.Text(String text)) || text.isEmpty()) {
                    continue;
                }
                pieces.clear();
                pieces.add(text);
                for (PreSplit step : steps) {
                    next.clear();
                    for (String p : pieces) {
                        step.split(p, next);
                    }
                    List<String> swap = pieces;
                    pieces = next;
                    next = swap;
                }
                for (String p : pieces) {
                    counts.merge(p, 1L, Long::sum);
                }
            }
        }
        return counts;
    }

    private static void addInto(Map<String, Long> total, Map<String, Long> part) {
        part.forEach((k, v) -> total.merge(k, v, Long::sum));
    }

    private List<PreSplit> preSplits() {
        List<PreSplit> steps = new ArrayList<>();
        for (String regex : spec.regexes()) {
            steps.add(LlamaCppSplits.of(regex));
        }
        return steps;
    }

    private int mergesWanted() {
        return vocabSize - 256 - specials.size();
    }

    // ---- the merge loop ----

    /** The learnt tokens (as byte strings, bytes first) and merges (as token id pairs). */
    private record Learnt(List<byte[]> tokens, List<int[]> merges) {
    }

    private final class Merger {
        private final int[][] words;
        private final int[] lengths;
        private final long[] freq;
        private final List<byte[]> tokens = new ArrayList<>();
        private final Map<ByteKey, Integer> tokenIds = new HashMap<>();
        private final Map<Long, long[]> pairCounts = new HashMap<>();
        private final Map<Long, IntArray> where = new HashMap<>();
        private final PriorityQueue<long[]> queue = new PriorityQueue<>(this::compareEntries);
        private final int[] lastVisit;
        private final long docs;
        private final long bytes;

        Merger(Map<String, Long> counts, long docs, long bytes) {
            this.docs = docs;
            this.bytes = bytes;
            // Sorted so that the index (and hence nothing downstream) depends on hash or thread order.
            String[] keys = counts.keySet().toArray(String[]::new);
            Arrays.sort(keys);
            words = new int[keys.length][];
            lengths = new int[keys.length];
            freq = new long[keys.length];
            lastVisit = new int[keys.length];
            for (int b = 0; b < 256; b++) {
                tokens.add(new byte[] {(byte) b});
                tokenIds.put(new ByteKey(tokens.getLast()), b);
            }
            for (int w = 0; w < keys.length; w++) {
                byte[] utf8 = keys[w].getBytes(StandardCharsets.UTF_8);
                words[w] = new int[utf8.length];
                for (int i = 0; i < utf8.length; i++) {
                    words[w][i] = utf8[i] & 0xff;
                }
                lengths[w] = utf8.length;
                freq[w] = counts.get(keys[w]);
                addPairs(w, +1);
            }
            for (Map.Entry<Long, long[]> e : pairCounts.entrySet()) {
                queue.add(new long[] {e.getValue()[0], e.getKey()});
            }
        }

        Learnt run() {
            int wanted = vocabSize - specials.size();
            List<int[]> merges = new ArrayList<>();
            while (tokens.size() < wanted) {
                long[] top = queue.poll();
                if (top == null) {
                    break;
                }
                long[] current = pairCounts.get(top[1]);
                long now = current == null ? 0 : current[0];
                if (now != top[0]) {
                    if (now > 0 && now < top[0]) {
                        queue.add(new long[] {now, top[1]});
                    }
                    continue;
                }
                int left = (int) (top[1] >>> 32);
                int right = (int) top[1];
                merges.add(new int[] {left, right});
                merge(left, right, merges.size());
                if (merges.size() % 100 == 0) {
                    progress.accept(new Progress(docs, bytes, merges.size(), mergesWanted()));
                }
            }
            progress.accept(new Progress(docs, bytes, merges.size(), mergesWanted()));
            return new Learnt(tokens, merges);
        }

        private void merge(int left, int right, int visit) {
            byte[] joined = concat(tokens.get(left), tokens.get(right));
            ByteKey key = new ByteKey(joined);
            Integer existing = tokenIds.get(key);
            int merged = existing != null ? existing : tokens.size();
            if (existing == null) {
                tokens.add(joined);
                tokenIds.put(key, merged);
            }
            java.util.Set<Long> grown = new java.util.HashSet<>();
            IntArray occurrences = where.remove(pairKey(left, right));
            for (int i = 0; i < occurrences.size; i++) {
                int w = occurrences.data[i];
                if (lastVisit[w] == visit || !contains(w, left, right)) {
                    continue;
                }
                lastVisit[w] = visit;
                addPairs(w, -1);
                replace(w, left, right, merged);
                addPairs(w, +1);
                int[] s = words[w];
                for (int j = 0; j + 1 < lengths[w]; j++) {
                    if (s[j] == merged || s[j + 1] == merged) {
                        grown.add(pairKey(s[j], s[j + 1]));
                    }
                }
            }
            pairCounts.remove(pairKey(left, right));
            for (long pair : grown) {
                long[] c = pairCounts.get(pair);
                if (c != null && c[0] > 0) {
                    queue.add(new long[] {c[0], pair});
                }
            }
        }

        private boolean contains(int w, int left, int right) {
            int[] s = words[w];
            for (int j = 0; j + 1 < lengths[w]; j++) {
                if (s[j] == left && s[j + 1] == right) {
                    return true;
                }
            }
            return false;
        }

        /** Replaces each occurrence of left,right (scanning left to right) with merged. */
        private void replace(int w, int left, int right, int merged) {
            int[] s = words[w];
            int n = lengths[w];
            int out = 0;
            for (int j = 0; j < n; j++) {
                if (j + 1 < n && s[j] == left && s[j + 1] == right) {
                    s[out++] = merged;
                    j++;
                } else {
                    s[out++] = s[j];
                }
            }
            lengths[w] = out;
        }

        private void addPairs(int w, int sign) {
            int[] s = words[w];
            long f = sign * freq[w];
            for (int j = 0; j + 1 < lengths[w]; j++) {
                long pair = pairKey(s[j], s[j + 1]);
                long[] c = pairCounts.computeIfAbsent(pair, k -> new long[1]);
                c[0] += f;
                if (c[0] == 0) {
                    pairCounts.remove(pair);
                }
                if (sign > 0) {
                    where.computeIfAbsent(pair, k -> new IntArray()).add(w);
                }
            }
        }

        /** Higher count first; ties by the left token's bytes, then the right token's (unsigned). */
        private int compareEntries(long[] a, long[] b) {
            int byCount = Long.compare(b[0], a[0]);
            if (byCount != 0) {
                return byCount;
            }
            int byLeft = Arrays.compareUnsigned(tokens.get((int) (a[1] >>> 32)), tokens.get((int) (b[1] >>> 32)));
            if (byLeft != 0) {
                return byLeft;
            }
            return Arrays.compareUnsigned(tokens.get((int) a[1]), tokens.get((int) b[1]));
        }
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private record ByteKey(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    private static final class IntArray {
        int[] data = new int[4];
        int size;

        void add(int v) {
            if (size > 0 && data[size - 1] == v) {
                return;
            }
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }
    }

    // ---- the tokenizer ----

    private ByteLevelBpeTokenizer build(Learnt learnt) {
        int learntCount = learnt.tokens().size();
        String[] pieces = new String[learntCount + specials.size()];
        int[] types = new int[pieces.length];
        Map<String, Integer> ids = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < learntCount; i++) {
            pieces[i] = byteLevel(learnt.tokens().get(i));
            types[i] = ByteLevelBpeTokenizer.NORMAL;
            ids.put(pieces[i], i);
        }
        List<SpecialTokens.Entry> entries = new ArrayList<>();
        for (int i = 0; i < specials.size(); i++) {
            int id = learntCount + i;
            pieces[id] = specials.get(i);
            types[id] = ByteLevelBpeTokenizer.CONTROL;
            ids.put(pieces[id], id);
            entries.add(new SpecialTokens.Entry(id, pieces[id], true, false, false));
        }
        List<String[]> merges = new ArrayList<>(learnt.merges().size());
        for (int[] m : learnt.merges()) {
            merges.add(new String[] {pieces[m[0]], pieces[m[1]]});
        }
        BpeModel model = new BpeModel(pieces, ids, merges, spec.ignoreMerges(), BpeModel.Fallback.LLAMA_CPP, -1);
        List<PreSplit> steps = preSplits();
        steps.add(new HfSplits.ByteLevelMark());
        int eos = specials.isEmpty() ? -1 : learntCount;
        return new ByteLevelBpeTokenizer(model, steps, types, new SpecialTokens(entries, SpecialTokens.Matching.LLAMA_CPP),
                -1, eos, new int[0], new int[0], new ByteLevelBpeTokenizer.LlamaCpp(spec.name(), spec.regexes()));
    }

    private static String byteLevel(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = ByteLevel.charOf(bytes[i]);
        }
        return new String(out);
    }
}
