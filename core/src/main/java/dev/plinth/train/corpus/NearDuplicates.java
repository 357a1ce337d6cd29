package dev.plinth.train.corpus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Near-duplicate detection with MinHash signatures and locality-sensitive hashing.
 *
 * <p>A document's features are its word {@code shingle}-grams (words are maximal runs of letters
 * and digits, lower-cased; a document shorter than a shingle is one feature). Each feature is
 * hashed to 64 bits and mixed with {@code bands * rows} seeded keys; the signature keeps the
 * minimum of each. Two documents become candidates when all {@code rows} values of some band agree,
 * and a candidate is a duplicate when the fraction of equal signature values (an estimate of the
 * Jaccard similarity of the shingle sets) is at least {@code threshold}. The first document seen
 * is kept. Defaults: 5-word shingles, 16 bands of 8 rows (128 hashes), threshold 0.7; with these a
 * pair at Jaccard 0.8 is found with probability 1-(1-0.8^8)^16 ≈ 0.95, one at 0.5 is a candidate
 * with probability ≈ 0.06 and then fails the threshold check.
 *
 * <p>Memory: one int signature ({@code 4 * bands * rows} bytes) per kept document plus the band index.
 */
public final class NearDuplicates {

    public record Parameters(int shingle, int bands, int rows, double threshold, long seed) implements java.io.Serializable {
        public static final Parameters DEFAULT = new Parameters(5, 16, 8, 0.7, 0x5eed_c0de_2026L);

        public Parameters {
            if (shingle < 1 || bands < 1 || rows < 1 || !(threshold > 0 && threshold <= 1)) {
                throw new IllegalArgumentException("bad MinHash parameters");
            }
        }
    }

    private final Parameters params;
    private final long[] keys;
    private final List<int[]> signatures = new ArrayList<>();
    private final List<Map<Long, List<Integer>>> bandIndex = new ArrayList<>();

    public NearDuplicates(Parameters params) {
        this.params = params;
        SplittableRandom rnd = new SplittableRandom(params.seed());
        keys = new long[params.bands() * params.rows()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = rnd.nextLong();
        }
        for (int b = 0; b < params.bands(); b++) {
            bandIndex.add(new HashMap<>());
        }
    }

    /** Adds {@code text} unless it is a near-duplicate of a document already added; returns whether it was added. */
    public boolean addIfNew(String text) {
        return addIfNew(signature(text));
    }

    /** As {@link #addIfNew(String)}, for a document whose {@link #signature} was computed elsewhere (another thread or machine). */
    public boolean addIfNew(int[] sig) {
        if (sig.length != keys.length) {
            throw new IllegalArgumentException("signature of " + sig.length + " values; these parameters make " + keys.length);
        }
        long[] bandHashes = new long[params.bands()];
        for (int b = 0; b < params.bands(); b++) {
            long h = b;
            for (int r = 0; r < params.rows(); r++) {
                h = mix(h * 31 + sig[b * params.rows() + r]);
            }
            bandHashes[b] = h;
            List<Integer> candidates = bandIndex.get(b).get(h);
            if (candidates != null) {
                for (int c : candidates) {
                    if (similarity(sig, signatures.get(c)) >= params.threshold()) {
                        return false;
                    }
                }
            }
        }
        int id = signatures.size();
        signatures.add(sig);
        for (int b = 0; b < params.bands(); b++) {
            bandIndex.get(b).computeIfAbsent(bandHashes[b], k -> new ArrayList<>(1)).add(id);
        }
        return true;
    }

    /** The MinHash signature of {@code text}: a pure function of the text and the parameters. */
    public int[] signature(String text) {
        List<String> words = words(text);
        int[] sig = new int[keys.length];
        java.util.Arrays.fill(sig, Integer.MAX_VALUE);
        int k = params.shingle();
        int features = Math.max(1, words.size() - k + 1);
        for (int i = 0; i < features; i++) {
            long h = 0x9e3779b97f4a7c15L;
            for (int j = i; j < Math.min(words.size(), i + k); j++) {
                h = mix(h ^ words.get(j).hashCode()) + j - i;
            }
            for (int p = 0; p < keys.length; p++) {
                int v = (int) (mix(h ^ keys[p]) >>> 33);
                if (v < sig[p]) {
                    sig[p] = v;
                }
            }
        }
        return sig;
    }

    static double similarity(int[] a, int[] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                same++;
            }
        }
        return same / (double) a.length;
    }

    private static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= text.length(); i++) {
            boolean word = i < text.length() && Character.isLetterOrDigit(text.charAt(i));
            if (word && start < 0) {
                start = i;
            } else if (!word && start >= 0) {
                out.add(text.substring(start, i).toLowerCase(Locale.ROOT));
                start = -1;
            }
        }
        return out;
    }

    /** SplitMix64's finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
