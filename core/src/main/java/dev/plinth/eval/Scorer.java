package dev.plinth.eval;

import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.DecoderModel;
import dev.plinth.tensor.Activations;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Log-likelihoods of continuations, as lm-evaluation-harness's {@code _loglikelihood_tokens}
 * computes them: the model reads {@code (context + continuation)[-(maxLength + 1):][:-1]} and the
 * continuation's tokens are scored at the last positions, with whether each was the arg-max
 * ({@code is_greedy}).
 *
 * <p>Requests come in groups (one question's choices). A group's inputs share a prefix (the
 * context), which is fed once; each request then continues from a copy of its KV cache
 * ({@link DecoderModel.Session#copyPrefix}). Several groups go through the model together: one pass
 * for their prefixes, one for all their continuations, so each weight matrix is read once for up to
 * {@code batchTokens} tokens, as in a prefill.
 */
final class Scorer {

    /** Token ids of a context and of the continuation to score after it. */
    record Request(int[] context, int[] continuation) {
    }

    /** The continuation's log-likelihood in nats, and whether greedy decoding would have produced it. */
    record Score(double logLikelihood, boolean greedy) {
    }

    /** Hears how many groups are done and how many tokens the model has read so far. */
    @FunctionalInterface
    interface Progress {
        Progress NONE = (groups, tokens) -> { };

        void scored(int groups, long tokens);
    }

    /** Logit rows held at once in a pass over continuations (rows × vocabulary floats). */
    private static final long LOGIT_FLOATS = 16L << 20;

    private final DecoderModel model;
    private final List<AppliedAdapter> adapters;
    private final int maxLength;
    private final int batchTokens;
    private long tokensRead;

    Scorer(DecoderModel model, List<AppliedAdapter> adapters, int maxLength, int batchTokens) {
        if (maxLength < 1 || batchTokens < 1) {
            throw new IllegalArgumentException("maxLength and batchTokens must be positive");
        }
        this.model = model;
        this.adapters = List.copyOf(adapters);
        this.maxLength = maxLength;
        this.batchTokens = batchTokens;
    }

    /** Tokens the model has read so far (prefixes once, continuations each). */
    long tokensRead() {
        return tokensRead;
    }

    /** One request made ready: what the model reads, and which of its last positions score which tokens. */
    private record Prepared(int[] input, int[] targets) {
        int firstScored() {
            return input.length - targets.length;
        }
    }

    private record Group(Prepared[] requests, int prefix) {
        int suffixTokens() {
            int n = 0;
            for (Prepared p : requests) {
                n += p.input().length - prefix;
            }
            return n;
        }
    }

    /** Scores every group; the result has one array per group, one score per request. */
    List<Score[]> score(List<List<Request>> groups, Progress progress) {
        List<Score[]> out = new ArrayList<>(groups.size());
        List<Group> batch = new ArrayList<>();
        int batchSize = 0;
        for (List<Request> g : groups) {
            Group prepared = prepare(g);
            int size = prepared.prefix() + prepared.suffixTokens();
            if (!batch.isEmpty() && batchSize + size > batchTokens) {
                out.addAll(run(batch));
                progress.scored(out.size(), tokensRead);
                batch.clear();
                batchSize = 0;
            }
            batch.add(prepared);
            batchSize += size;
        }
        if (!batch.isEmpty()) {
            out.addAll(run(batch));
            progress.scored(out.size(), tokensRead);
        }
        return out;
    }

    private Group prepare(List<Request> requests) {
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("a group without requests");
        }
        Prepared[] prepared = new Prepared[requests.size()];
        int prefix = Integer.MAX_VALUE;
        for (int i = 0; i < prepared.length; i++) {
            Request r = requests.get(i);
            if (r.continuation().length == 0 || r.context().length == 0) {
                throw new IllegalArgumentException("a request needs at least one context and one continuation token");
            }
            if (r.continuation().length > maxLength) {
                throw new IllegalArgumentException("a continuation of " + r.continuation().length
                        + " tokens does not fit the maximum length " + maxLength);
            }
            int[] whole = concat(r.context(), r.continuation());
            int from = Math.max(0, whole.length - (maxLength + 1));
            prepared[i] = new Prepared(Arrays.copyOfRange(whole, from, whole.length - 1), r.continuation());
            prefix = Math.min(prefix, prepared[i].firstScored());
        }
        for (int i = 1; i < prepared.length; i++) {
            prefix = Math.min(prefix, commonPrefix(prepared[0].input(), prepared[i].input()));
        }
        return new Group(prepared, prefix);
    }

    /** Feeds the groups' prefixes in one pass, then every continuation from a copy of its prefix's cache. */
    private List<Score[]> run(List<Group> groups) {
        DecoderModel.Session[] shared = new DecoderModel.Session[groups.size()];
        List<DecoderModel.Session> prefixSessions = new ArrayList<>();
        List<int[]> prefixes = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            if (group.prefix() > 0) {
                shared[g] = model.newSession(group.prefix(), adapters);
                prefixSessions.add(shared[g]);
                prefixes.add(Arrays.copyOf(group.requests()[0].input(), group.prefix()));
            }
        }
        if (!prefixSessions.isEmpty()) {
            model.forwardBatch(prefixSessions.toArray(DecoderModel.Session[]::new), prefixes.toArray(int[][]::new));
            prefixes.forEach(p -> tokensRead += p.length);
        }
        List<Piece> pieces = new ArrayList<>();
        List<Accumulator> scores = new ArrayList<>();
        int rowsPerPass = (int) Math.max(1, Math.min(Integer.MAX_VALUE, LOGIT_FLOATS / model.vocabSize()));
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            for (Prepared p : group.requests()) {
                DecoderModel.Session s = model.newSession(p.input().length, adapters);
                if (shared[g] != null) {
                    s.copyPrefix(shared[g], group.prefix());
                }
                Accumulator acc = new Accumulator(p);
                scores.add(acc);
                for (int from = group.prefix(); from < p.input().length; from += rowsPerPass) {
                    pieces.add(new Piece(s, acc, from, Math.min(p.input().length, from + rowsPerPass)));
                }
            }
        }
        runPieces(pieces, rowsPerPass);
        List<Score[]> out = new ArrayList<>(groups.size());
        int next = 0;
        for (Group group : groups) {
            Score[] s = new Score[group.requests().length];
            for (int i = 0; i < s.length; i++) {
                s[i] = scores.get(next++).score();
            }
            out.add(s);
        }
        return out;
    }

    /** A run of one request's input positions fed to its session. */
    private record Piece(DecoderModel.Session session, Accumulator score, int from, int to) {
        int rows() {
            return to - from;
        }
    }

    /** Feeds the pieces in passes of at most {@code rowsPerPass} rows, each session at most once per pass. */
    private void runPieces(List<Piece> pieces, int rowsPerPass) {
        List<Piece> pass = new ArrayList<>();
        int rows = 0;
        for (Piece p : pieces) {
            boolean sameSession = pass.stream().anyMatch(q -> q.session() == p.session());
            if (!pass.isEmpty() && (rows + p.rows() > rowsPerPass || sameSession)) {
                feed(pass);
                pass.clear();
                rows = 0;
            }
            pass.add(p);
            rows += p.rows();
        }
        if (!pass.isEmpty()) {
            feed(pass);
        }
    }

    private void feed(List<Piece> pass) {
        DecoderModel.Session[] sessions = new DecoderModel.Session[pass.size()];
        int[][] tokens = new int[pass.size()][];
        for (int i = 0; i < sessions.length; i++) {
            Piece p = pass.get(i);
            sessions[i] = p.session();
            tokens[i] = Arrays.copyOfRange(p.score().prepared.input(), p.from(), p.to());
            tokensRead += tokens[i].length;
        }
        float[] logits = model.forwardBatchAll(sessions, tokens);
        int vocab = model.vocabSize();
        int row = 0;
        for (Piece p : pass) {
            for (int position = p.from(); position < p.to(); position++, row++) {
                p.score().add(position, logits, row * vocab, vocab);
            }
        }
    }

    /** Sums one request's log-probabilities as the logits of its scored positions arrive. */
    private static final class Accumulator {
        private final Prepared prepared;
        private double logLikelihood;
        private boolean greedy = true;

        Accumulator(Prepared prepared) {
            this.prepared = prepared;
        }

        void add(int position, float[] logits, int off, int vocab) {
            int k = position - prepared.firstScored();
            if (k < 0) {
                return;
            }
            int target = prepared.targets()[k];
            logLikelihood += logits[off + target] - Activations.logSumExp(logits, off, vocab);
            greedy &= argmax(logits, off, vocab) == target;
        }

        Score score() {
            return new Score(logLikelihood, greedy);
        }
    }

    /** Index of the largest logit in the row (the first on ties). */
    static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[off + i] > x[off + best]) {
                best = i;
            }
        }
        return best;
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = Arrays.mismatch(a, 0, n, b, 0, n);
        return i < 0 ? n : i;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
