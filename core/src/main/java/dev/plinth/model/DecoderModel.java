package dev.plinth.model;

import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.io.ModelFormat;
import dev.plinth.model.lora.LoraAdapter;
import dev.plinth.tensor.Activations;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.MatMul;
import dev.plinth.tensor.Norms;
import dev.plinth.tensor.Parallel;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Rope;
import dev.plinth.tensor.RopeLayout;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A llama-family decoder (llama, mistral, qwen2, qwen3) running on weights that stay memory-mapped
 * in whatever dtype {@link MatMul} takes. One forward pass serves prefill (all prompt tokens as
 * one matrix product per weight) and decode (one token, matrix-vector products), for one sequence
 * or several at once, each with its own {@link Session} (positions and KV cache).
 *
 * <pre>{@code
 * try (DecoderModel m = DecoderModel.open(path)) {
 *     DecoderModel.Session s = m.newSession(512);
 *     float[] logits = m.forward(s, promptIds);   // next-token logits after the prompt
 *     logits = m.forward(s, new int[] {nextId});  // one more step
 * }
 * }</pre>
 *
 * <p><b>Adapters.</b> A session made with {@link #newSession(int, List)} applies LoRA adapters
 * without merging them: after each base product of a block projection, the rows of that session get
 * {@code Σ scale·(alpha/r)·B·(A·x)}. The base product runs once for the whole batch, the low-rank
 * products per run of consecutive sessions with the same adapters, so one batch may mix sequences
 * with different adapter sets. A session without adapters costs what it did before.
 *
 * <p>A model is not thread-safe: one forward call at a time (each call already uses every core).
 */
public final class DecoderModel implements AutoCloseable {

    /** Prompt tokens processed per pass: bounds activation memory for long prompts. */
    static final int CHUNK = 256;

    private final DecoderConfig config;
    private final ModelFile owned;
    private final Path source;
    private final Tensor embedding;
    private final Tensor output;
    private final float[] outputNorm;
    private final List<Layer> layers;
    private final Scratch scratch = new Scratch();
    private final float[] freqFactors;
    private final boolean hfRows;
    private boolean roundF16Activations;
    private String digest;

    /** One transformer block's weights: matrices as mapped tensors, small vectors as floats. */
    private record Layer(float[] attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo, float[] bq, float[] bk,
                         float[] bv, float[] qNorm, float[] kNorm, float[] ffnNorm, Tensor gate, Tensor up,
                         Tensor down) {
        /** The weight of projection {@code role} ({@link LoraTerms#ROLES}). */
        Tensor projection(int role) {
            return switch (role) {
                case LoraTerms.Q -> wq;
                case LoraTerms.K -> wk;
                case LoraTerms.V -> wv;
                case LoraTerms.O -> wo;
                case LoraTerms.GATE -> gate;
                case LoraTerms.UP -> up;
                default -> down;
            };
        }
    }

    private DecoderModel(DecoderConfig config, ModelFile file, boolean owns, TensorNames names) {
        this.config = config;
        this.owned = owns ? file : null;
        this.source = file.path();
        this.hfRows = names instanceof TensorNames.HuggingFace && GgufLayout.permutesQk(config);
        this.freqFactors = config.ropeFreqFactors();
        int h = config.hiddenSize();
        embedding = matrix(file, names.embedding(), config.vocabSize(), h, false);
        Tensor out = file.tensor(names.output());
        output = out == null ? embedding : matrix(file, names.output(), config.vocabSize(), h, true);
        if (!MatMul.supported(output.dtype())) {
            throw new UnsupportedModelException(output.name() + " has dtype " + output.dtype() + "; "
                    + supportedTypes());
        }
        outputNorm = vector(file, names.outputNorm(), h);
        List<Layer> list = new ArrayList<>();
        for (int i = 0; i < config.layers(); i++) {
            list.add(layer(file, names, i));
        }
        layers = List.copyOf(list);
    }

    /** Opens a GGUF file, a Hugging Face folder or a llama2.c checkpoint; closing the model closes it. */
    public static DecoderModel open(Path path) throws IOException {
        ModelFile file = ModelFiles.open(path);
        try {
            return new DecoderModel(DecoderConfig.of(file), file, true, TensorNames.of(file.format()));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** A model over an already open file, which the caller keeps and closes after the model. */
    public static DecoderModel of(ModelFile file) {
        return new DecoderModel(DecoderConfig.of(file), file, false, TensorNames.of(file.format()));
    }

    public DecoderConfig config() {
        return config;
    }

    /**
     * Rounds activations to F16 before every product with an F16 weight (the output matrix and a
     * tied embedding used as output included), as ggml's CPU backend does (F16's
     * {@code vec_dot_type} is F16); off by default, Plinth multiplies F16 weights by F32
     * activations. For comparing with llama.cpp: it removes the systematic half-float difference,
     * not the activations that a last float bit apart round to neighbouring halves. Products with
     * other dtypes are unaffected.
     */
    public void setF16ActivationRounding(boolean on) {
        roundF16Activations = on;
    }

    /** Number of logits per position. */
    public int vocabSize() {
        return config.vocabSize();
    }

    /** A fresh sequence with a KV cache for {@code contextLength} positions (allocated now). */
    public Session newSession(int contextLength) {
        return new Session(config, contextLength, List.of(), null);
    }

    /**
     * A fresh sequence that applies {@code adapters} (each {@link #check checked} against this base
     * first), with a KV cache for {@code contextLength} positions.
     */
    public Session newSession(int contextLength, List<AppliedAdapter> adapters) {
        adapters.forEach(this::check);
        return new Session(config, contextLength, adapters, LoraTerms.of(adapters, config, hfRows));
    }

    /**
     * Refuses, with an {@link AdapterMismatchException} saying which, an adapter that does not fit
     * this base: made for another architecture, a pair on a weight that is no block projection
     * (q, k, v, o, gate, up, down) or whose {@code [out, in]} differs from the base weight's, a whole
     * tensor that would replace a base weight, or a recorded base digest ({@link
     * LoraAdapter#META_BASE_DIGEST}) that is not this base's. Whole tensors the decoder has no use
     * for (a classification head) pass.
     */
    public void check(AppliedAdapter applied) {
        LoraAdapter a = applied.adapter();
        String architecture = GgufLayout.ggufArchitecture(config);
        if (!a.architecture().equals(architecture)) {
            throw mismatch(applied, "was made for a " + a.architecture() + " base; this base is " + architecture);
        }
        a.pairs().forEach((name, p) -> {
            int slot = LoraTerms.slot(name, config.layers());
            if (slot < 0) {
                throw mismatch(applied, "adapts " + name + ", which is not a projection of this base's "
                        + config.layers() + " blocks " + LoraTerms.ROLES);
            }
            Tensor w = layers.get(slot / LoraTerms.ROLES.size()).projection(slot % LoraTerms.ROLES.size());
            if (p.outputs() != w.dim(0) || p.inputs() != w.dim(1)) {
                throw mismatch(applied, "has a pair for " + name + " of [out, in] = [" + p.outputs() + ", " + p.inputs()
                        + "], but the base weight is " + Arrays.toString(w.shape()));
            }
        });
        TensorNames gguf = TensorNames.of(ModelFormat.GGUF);
        for (String name : a.wholeTensors().keySet()) {
            if (name.startsWith("blk.") || name.equals(gguf.embedding()) || name.equals(gguf.output())
                    || name.equals(gguf.outputNorm())) {
                throw mismatch(applied, "replaces the base weight " + name + " whole; merge it into the base instead");
            }
        }
        String recorded = a.metadata().get(LoraAdapter.META_BASE_DIGEST);
        if (recorded != null && !recorded.equalsIgnoreCase(digest())) {
            throw mismatch(applied, "was trained on the base with sha256 " + recorded + "; " + source + " has "
                    + digest());
        }
    }

    private static AdapterMismatchException mismatch(AppliedAdapter applied, String problem) {
        return new AdapterMismatchException("adapter " + applied.name() + " " + problem);
    }

    /** This base's {@link LoraAdapter#baseDigest}, computed on first use. */
    private String digest() {
        if (digest == null) {
            try {
                digest = LoraAdapter.baseDigest(source);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return digest;
    }

    /** Feeds {@code tokens} to {@code session} and returns the logits after its last token. */
    public float[] forward(Session session, int[] tokens) {
        float[] out = new float[config.vocabSize()];
        forward(session, tokens, out);
        return out;
    }

    /** {@link #forward(Session, int[])} into {@code logits} (length vocabSize), allocating nothing. */
    public void forward(Session session, int[] tokens, float[] logits) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("no tokens to produce logits for");
        }
        if (tokens.length <= CHUNK) {
            run(new Session[] {session}, new int[][] {tokens}, false, logits);
            return;
        }
        for (int from = 0; from < tokens.length; from += CHUNK) {
            int to = Math.min(tokens.length, from + CHUNK);
            run(new Session[] {session}, new int[][] {Arrays.copyOfRange(tokens, from, to)}, false, logits);
        }
    }

    /** Feeds {@code tokens} and returns the logits of every position, row-major {@code [tokens.length, vocab]}. */
    public float[] forwardAll(Session session, int[] tokens) {
        int vocab = config.vocabSize();
        float[] out = new float[Math.multiplyExact(tokens.length, vocab)];
        float[] chunk = new float[Math.min(tokens.length, CHUNK) * vocab];
        for (int from = 0; from < tokens.length; from += CHUNK) {
            int to = Math.min(tokens.length, from + CHUNK);
            run(new Session[] {session}, new int[][] {Arrays.copyOfRange(tokens, from, to)}, true, chunk);
            System.arraycopy(chunk, 0, out, from * vocab, (to - from) * vocab);
        }
        return out;
    }

    /**
     * Feeds {@code tokens[i]} to {@code sessions[i]} for every i in one pass (one matrix product per
     * weight for all sequences) and returns each sequence's logits after its last token.
     */
    public float[][] forwardBatch(Session[] sessions, int[][] tokens) {
        if (sessions.length != tokens.length) {
            throw new IllegalArgumentException(sessions.length + " sessions but " + tokens.length + " token lists");
        }
        int vocab = config.vocabSize();
        float[] flat = new float[sessions.length * vocab];
        run(sessions, tokens, false, flat);
        float[][] out = new float[sessions.length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
        }
        return out;
    }

    /**
     * Feeds {@code tokens[i]} to {@code sessions[i]} for every i in one pass, as {@link #forwardBatch}
     * does, and returns the logits of every position: row-major {@code [Σ tokens[i].length, vocab]},
     * the rows of sequence 0 first. Scoring continuations needs every position's logits.
     */
    public float[] forwardBatchAll(Session[] sessions, int[][] tokens) {
        if (sessions.length != tokens.length) {
            throw new IllegalArgumentException(sessions.length + " sessions but " + tokens.length + " token lists");
        }
        long rows = 0;
        for (int[] t : tokens) {
            rows += t.length;
        }
        float[] out = new float[Math.toIntExact(Math.multiplyExact(rows, (long) config.vocabSize()))];
        run(sessions, tokens, true, out);
        return out;
    }

    /**
     * Greedy decoding: the prompt, then up to {@code maxNewTokens} arg-max tokens, stopping after
     * {@code stopToken} (negative for none). Returns the new tokens only.
     */
    public int[] generateGreedy(int[] prompt, int maxNewTokens, int stopToken) {
        Session s = newSession(Math.min(config.contextLength(), prompt.length + maxNewTokens));
        if (prompt.length + maxNewTokens > s.capacity()) {
            s = newSession(prompt.length + maxNewTokens);
        }
        int[] out = new int[maxNewTokens];
        float[] logits = new float[config.vocabSize()];
        int[] step = new int[1];
        forward(s, prompt, logits);
        int n = 0;
        while (n < maxNewTokens) {
            int next = argmax(logits);
            out[n++] = next;
            if (next == stopToken || n == maxNewTokens) {
                break;
            }
            step[0] = next;
            forward(s, step, logits);
        }
        return Arrays.copyOf(out, n);
    }

    /** Index of the largest value (the first on ties). */
    public static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }

    // ---- the forward pass ----

    private void run(Session[] sessions, int[][] tokens, boolean all, float[] logits) {
        int rows = 0;
        for (int i = 0; i < sessions.length; i++) {
            rows = Math.addExact(rows, check(sessions[i], tokens[i], i, sessions));
        }
        int outRows = all ? rows : sessions.length;
        if (logits.length < (long) outRows * config.vocabSize()) {
            throw new IllegalArgumentException("logits array of " + logits.length + " floats is too small for " + outRows
                    + " x " + config.vocabSize());
        }
        if (rows == 0) {
            return;
        }
        int widest = Math.max(Math.max(config.hiddenSize(), config.qDim()), config.ffnSize());
        if ((long) rows * widest > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(rows + " tokens in one batch need activations beyond a Java array; "
                    + "feed fewer at a time");
        }
        Scratch s = scratch;
        s.ensure(config, rows, outRows);
        for (Session session : sessions) {
            s.maxContext = Math.max(s.maxContext, session.capacity());
        }
        s.batch(sessions, tokens);
        Session[] rowSession = s.rowSession;
        int r = 0;
        for (int i = 0; i < sessions.length; i++) {
            for (int j = 0; j < tokens[i].length; j++, r++) {
                rowSession[r] = sessions[i];
                s.rowPos[r] = sessions[i].position + j;
                embed(tokens[i][j], s.x, r * config.hiddenSize());
                Rope.angles(s.rowPos[r], config.rotaryDim(), config.ropeBase(), freqFactors, s.cos[r], s.sin[r]);
            }
        }
        planAttention(s);
        for (int l = 0; l < layers.size(); l++) {
            layer(l, layers.get(l), rows, s);
        }
        finalLogits(sessions, tokens, all, rows, s, logits);
        for (int i = 0; i < sessions.length; i++) {
            sessions[i].position += tokens[i].length;
        }
        Arrays.fill(rowSession, 0, rows, null);
        Arrays.fill(s.batch, 0, sessions.length, null);
    }

    private int check(Session session, int[] toks, int index, Session[] sessions) {
        if (session.config != config) {
            throw new IllegalArgumentException("session " + index + " belongs to another model");
        }
        for (int j = 0; j < index; j++) {
            if (sessions[j] == session) {
                throw new IllegalArgumentException("session " + index + " appears twice in one batch");
            }
        }
        if (toks.length == 0) {
            throw new IllegalArgumentException("session " + index + " has no tokens to produce logits for");
        }
        if (toks.length > session.capacity() - session.position) {
            throw new IllegalStateException("session " + index + " is at position " + session.position + " of "
                    + session.capacity() + "; " + toks.length + " more tokens do not fit its context");
        }
        for (int t : toks) {
            if (t < 0 || t >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
        return toks.length;
    }

    private void embed(int token, float[] x, int off) {
        int h = config.hiddenSize();
        long rowBytes = embedding.dtype().byteSize(h);
        Quantization.dequantize(embedding.dtype(), embedding.data(), token * rowBytes, x, off, h);
    }

    private void layer(int l, Layer w, int rows, Scratch s) {
        DecoderConfig c = config;
        int h = c.hiddenSize();
        rmsNormRows(s.x, s.xn, w.attnNorm, rows, h);
        project(l, LoraTerms.Q, w.wq, s.xn, rows, s.q);
        project(l, LoraTerms.K, w.wk, s.xn, rows, s.k);
        project(l, LoraTerms.V, w.wv, s.xn, rows, s.v);
        int qDim = c.qDim();
        int kvDim = c.kvDim();
        Parallel.parallelFor(rows, 1, (a, b) -> {
            for (int r = a; r < b; r++) {
                positionRow(w, s, r, qDim, kvDim, l);
            }
        });
        attention(l, s);
        project(l, LoraTerms.O, w.wo, s.att, rows, s.o);
        Activations.add(s.x, 0, s.x, 0, s.o, 0, rows * h);
        rmsNormRows(s.x, s.xn, w.ffnNorm, rows, h);
        project(l, LoraTerms.GATE, w.gate, s.xn, rows, s.g);
        project(l, LoraTerms.UP, w.up, s.xn, rows, s.u);
        int f = c.ffnSize();
        Activations.swiglu(s.g, 0, s.g, 0, s.u, 0, rows * f);
        project(l, LoraTerms.DOWN, w.down, s.g, rows, s.o);
        Activations.add(s.x, 0, s.x, 0, s.o, 0, rows * h);
    }

    /** Biases, per-head norms and RoPE for one row, then its key and value into the cache. */
    private void positionRow(Layer w, Scratch s, int r, int qDim, int kvDim, int l) {
        DecoderConfig c = config;
        int qo = r * qDim;
        int ko = r * kvDim;
        if (w.bq != null) {
            Activations.add(s.q, qo, s.q, qo, w.bq, 0, qDim);
            Activations.add(s.k, ko, s.k, ko, w.bk, 0, kvDim);
            Activations.add(s.v, ko, s.v, ko, w.bv, 0, kvDim);
        }
        int hd = c.headDim();
        if (w.qNorm != null) {
            for (int i = 0; i < c.heads(); i++) {
                Norms.rmsNorm(s.q, qo + i * hd, s.q, qo + i * hd, w.qNorm, 0, hd, c.rmsEps());
            }
            for (int i = 0; i < c.kvHeads(); i++) {
                Norms.rmsNorm(s.k, ko + i * hd, s.k, ko + i * hd, w.kNorm, 0, hd, c.rmsEps());
            }
        }
        if (c.ropeLayout() == RopeLayout.NEOX) {
            Rope.rotateNeox(s.q, qo, c.heads(), hd, c.rotaryDim(), s.cos[r], s.sin[r]);
            Rope.rotateNeox(s.k, ko, c.kvHeads(), hd, c.rotaryDim(), s.cos[r], s.sin[r]);
        } else {
            Rope.rotateInterleaved(s.q, qo, c.heads(), hd, c.rotaryDim(), s.cos[r], s.sin[r]);
            Rope.rotateInterleaved(s.k, ko, c.kvHeads(), hd, c.rotaryDim(), s.cos[r], s.sin[r]);
        }
        Session seq = s.rowSession[r];
        int at = s.rowPos[r] * kvDim;
        System.arraycopy(s.k, ko, seq.keys[l], at, kvDim);
        System.arraycopy(s.v, ko, seq.values[l], at, kvDim);
    }

    /**
     * Splits the pass's rows for attention: sequences with fewer than {@link Attention#BLOCK_MIN_ROWS}
     * new rows (decode steps) attend row by row, longer ones (prompts) in blocks of rows.
     */
    private void planAttention(Scratch s) {
        int group = config.heads() / config.kvHeads();
        s.singleRows = 0;
        s.blocks = 0;
        for (int i = 0; i < s.batchSize; i++) {
            int from = s.batchStart[i];
            int to = s.batchStart[i + 1];
            if (to - from < Attention.BLOCK_MIN_ROWS) {
                for (int r = from; r < to; r++) {
                    s.singleRow[s.singleRows++] = r;
                }
                continue;
            }
            int step = Attention.blockRows(s.rowPos[to - 1], config.slidingWindow(), group);
            for (int r = from; r < to; r += step) {
                s.blockRow[s.blocks] = r;
                s.blockRowCount[s.blocks++] = Math.min(step, to - r);
            }
        }
    }

    private void attention(int l, Scratch s) {
        if (s.singleRows > 0) {
            attentionByRow(l, s);
        }
        if (s.blocks > 0) {
            attentionByBlock(l, s);
        }
    }

    private void attentionByRow(int l, Scratch s) {
        DecoderConfig c = config;
        int heads = c.heads();
        int group = heads / c.kvHeads();
        int hd = c.headDim();
        int qDim = c.qDim();
        int kvDim = c.kvDim();
        float scale = (float) (1.0 / Math.sqrt(hd));
        int window = c.slidingWindow();
        Parallel.parallelFor(s.singleRows * heads, 1, (a, b) -> {
            float[] scores = Attention.scores(s.maxContext);
            for (int task = a; task < b; task++) {
                int r = s.singleRow[task / heads];
                int head = task % heads;
                Session seq = s.rowSession[r];
                int pos = s.rowPos[r];
                int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
                Attention.head(s.q, r * qDim + head * hd, seq.keys[l], seq.values[l], (head / group) * hd, kvDim,
                        first, pos, hd, scale, scores, s.att, r * qDim + head * hd);
            }
        });
    }

    private void attentionByBlock(int l, Scratch s) {
        DecoderConfig c = config;
        int kvHeads = c.kvHeads();
        int group = c.heads() / kvHeads;
        int qDim = c.qDim();
        float scale = (float) (1.0 / Math.sqrt(c.headDim()));
        // the last blocks see the most keys: handing them out first evens the threads' work
        Parallel.parallelFor(s.blocks * kvHeads, 1, (a, b) -> {
            for (int task = a; task < b; task++) {
                int block = s.blocks - 1 - task / kvHeads;
                int r = s.blockRow[block];
                Session seq = s.rowSession[r];
                Attention.block(s.q, r * qDim, qDim, s.blockRowCount[block], s.rowPos[r], seq.keys[l], seq.values[l],
                        task % kvHeads, group, c.headDim(), c.kvDim(), c.slidingWindow(), scale, s.att);
            }
        });
    }

    private void finalLogits(Session[] sessions, int[][] tokens, boolean all, int rows, Scratch s, float[] logits) {
        int h = config.hiddenSize();
        int outRows;
        if (all) {
            rmsNormRows(s.x, s.xn, outputNorm, rows, h);
            outRows = rows;
        } else {
            int r = 0;
            for (int i = 0; i < sessions.length; i++) {
                r += tokens[i].length;
                if (tokens[i].length == 0) {
                    throw new IllegalArgumentException("sequence " + i + " has no tokens to produce logits for");
                }
                Norms.rmsNorm(s.xn, i * h, s.x, (r - 1) * h, outputNorm, 0, h, config.rmsEps());
            }
            outRows = sessions.length;
        }
        product(output, s.xn, outRows, logits);
    }

    /** The base product of a block projection, then the low-rank terms of the sessions that adapt it. */
    private void project(int layer, int role, Tensor w, float[] x, int rows, float[] out) {
        product(w, x, rows, out);
        if (scratch.adapted) {
            addLowRank(layer, role, x, (int) w.dim(1), out, (int) w.dim(0), scratch);
        }
    }

    /**
     * {@code out += scale·B·(A·x)} for every term of every session in the batch, each run of
     * consecutive sessions with the same terms multiplied as one block of rows.
     */
    private static void addLowRank(int layer, int role, float[] x, int in, float[] out, int outDim, Scratch s) {
        for (int i = 0, j; i < s.batchSize; i = j) {
            LoraTerms.Term[] terms = s.batch[i].terms(layer, role);
            for (j = i + 1; j < s.batchSize && Arrays.equals(terms, s.batch[j].terms(layer, role)); j++) {
                // the same adapters: their rows join this run
            }
            if (terms != null) {
                int from = s.batchStart[i];
                for (LoraTerms.Term t : terms) {
                    lowRank(t, x, in, from, s.batchStart[j] - from, out, outDim, s);
                }
            }
        }
    }

    private static void lowRank(LoraTerms.Term t, float[] x, int in, int from, int n, float[] out, int outDim,
                                Scratch s) {
        float[] rows = x;
        if (from > 0) {
            rows = s.loraIn(n * in);
            System.arraycopy(x, from * in, rows, 0, n * in);
        }
        float[] ax = s.loraMid(n * t.rank());
        MatMul.matmul(t.a(), rows, n, ax);
        float[] bax = s.loraOut(n * outDim);
        MatMul.matmul(t.b(), ax, n, bax);
        Activations.axpy(t.scale(), bax, 0, out, from * outDim, n * outDim);
    }

    /** {@code out = x · wᵀ} for {@code rows} rows of x, rounded to F16 first if {@link #setF16ActivationRounding}. */
    private void product(Tensor w, float[] x, int rows, float[] out) {
        if (roundF16Activations && w.dtype() == DType.F16) {
            int n = rows * (int) w.dim(1);
            float[] rounded = scratch.f16Activations(n);
            for (int i = 0; i < n; i++) {
                rounded[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
            }
            x = rounded;
        }
        MatMul.matmul(w, x, rows, out);
    }

    private void rmsNormRows(float[] x, float[] out, float[] weight, int rows, int h) {
        float eps = config.rmsEps();
        Parallel.parallelFor(rows, 4, (a, b) -> {
            for (int r = a; r < b; r++) {
                Norms.rmsNorm(out, r * h, x, r * h, weight, 0, h, eps);
            }
        });
    }

    // ---- loading ----

    private Layer layer(ModelFile f, TensorNames n, int i) {
        DecoderConfig c = config;
        int h = c.hiddenSize();
        boolean bias = c.qkvBias();
        return new Layer(vector(f, n.layer(i, "attn_norm"), h),
                matrix(f, n.layer(i, "attn_q"), c.qDim(), h, true),
                matrix(f, n.layer(i, "attn_k"), c.kvDim(), h, true),
                matrix(f, n.layer(i, "attn_v"), c.kvDim(), h, true),
                matrix(f, n.layer(i, "attn_output"), h, c.qDim(), true),
                bias ? vector(f, n.bias(i, "attn_q"), c.qDim()) : null,
                bias ? vector(f, n.bias(i, "attn_k"), c.kvDim()) : null,
                bias ? vector(f, n.bias(i, "attn_v"), c.kvDim()) : null,
                c.qkNorm() ? vector(f, n.layer(i, "attn_q_norm"), c.headDim()) : null,
                c.qkNorm() ? vector(f, n.layer(i, "attn_k_norm"), c.headDim()) : null,
                vector(f, n.layer(i, "ffn_norm"), h),
                matrix(f, n.layer(i, "ffn_gate"), c.ffnSize(), h, true),
                matrix(f, n.layer(i, "ffn_up"), c.ffnSize(), h, true),
                matrix(f, n.layer(i, "ffn_down"), h, c.ffnSize(), true));
    }

    private static Tensor require(ModelFile f, String name) {
        Tensor t = f.tensor(name);
        if (t == null) {
            throw new UnsupportedModelException(f.path() + ": tensor " + name + " is missing");
        }
        return t;
    }

    private static Tensor matrix(ModelFile f, String name, int rows, int cols, boolean forMatMul) {
        Tensor t = require(f, name);
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw new UnsupportedModelException(f.path() + ": tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected [" + rows + ", " + cols + "]");
        }
        boolean ok = forMatMul ? MatMul.supported(t.dtype()) : Quantization.supports(t.dtype());
        if (!ok) {
            throw new UnsupportedModelException(f.path() + ": tensor " + name + " has dtype " + t.dtype() + "; "
                    + supportedTypes());
        }
        if (t.data().byteSize() < t.dtype().byteSize((long) rows * cols)) {
            throw new UnsupportedModelException(f.path() + ": tensor " + name + " holds fewer bytes than its shape needs");
        }
        return t;
    }

    private static float[] vector(ModelFile f, String name, int n) {
        Tensor t = require(f, name);
        if (t.elementCount() != n || !Quantization.supports(t.dtype())) {
            throw new UnsupportedModelException(f.path() + ": tensor " + name + " (" + t.dtype() + " "
                    + Arrays.toString(t.shape()) + ") should hold " + n + " values");
        }
        return Quantization.toF32(t).data().toArray(ValueLayout.JAVA_FLOAT);
    }

    private static String supportedTypes() {
        List<String> ok = new ArrayList<>();
        for (DType d : DType.values()) {
            if (MatMul.supported(d)) {
                ok.add(d.name());
            }
        }
        return "weight matrices must be one of " + ok;
    }

    // ---- per-sequence state ----

    /**
     * One sequence: its position and F32 KV cache, preallocated for a fixed number of positions.
     * Belongs to the model that made it.
     */
    public static final class Session {
        private final DecoderConfig config;
        private final float[][] keys;
        private final float[][] values;
        private final int capacity;
        private final List<AppliedAdapter> adapters;
        private final LoraTerms lora;
        private int position;

        Session(DecoderConfig config, int contextLength, List<AppliedAdapter> adapters, LoraTerms lora) {
            if (contextLength <= 0) {
                throw new IllegalArgumentException("context length must be positive, was " + contextLength);
            }
            long perLayer = (long) contextLength * config.kvDim();
            long bytes = perLayer * 2 * config.layers() * Float.BYTES;
            if (perLayer > Integer.MAX_VALUE - 8 || bytes > Runtime.getRuntime().maxMemory()) {
                throw new IllegalArgumentException("a KV cache for " + contextLength + " positions needs " + bytes
                        + " bytes; the heap allows " + Runtime.getRuntime().maxMemory() + " (use a shorter context)");
            }
            this.config = config;
            this.capacity = contextLength;
            this.adapters = List.copyOf(adapters);
            this.lora = lora;
            keys = new float[config.layers()][(int) perLayer];
            values = new float[config.layers()][(int) perLayer];
        }

        /** The adapters this sequence applies, in order (empty for the base alone). */
        public List<AppliedAdapter> adapters() {
            return adapters;
        }

        /** The low-rank terms on projection {@code role} of block {@code layer}, or null. */
        LoraTerms.Term[] terms(int layer, int role) {
            return lora == null ? null : lora.terms(layer, role);
        }

        /** Tokens fed so far (the position of the next one). */
        public int position() {
            return position;
        }

        /** Positions the cache holds. */
        public int capacity() {
            return capacity;
        }

        /**
         * Continues from the first {@code length} positions of {@code other}, a sequence of the same
         * model with the same adapters: their keys and values are copied, so several continuations of
         * one shared prefix run from it without feeding the prefix again. What this sequence held is
         * forgotten.
         */
        public void copyPrefix(Session other, int length) {
            if (other.config != config) {
                throw new IllegalArgumentException("the other sequence belongs to another model");
            }
            if (!other.adapters.equals(adapters)) {
                throw new IllegalArgumentException("the other sequence applies other adapters; its cache does not fit this one");
            }
            if (length < 0 || length > other.position || length > capacity) {
                throw new IllegalArgumentException("cannot copy " + length + " positions of a sequence of " + other.position
                        + " tokens into a cache of " + capacity);
            }
            int n = length * config.kvDim();
            for (int l = 0; l < keys.length; l++) {
                System.arraycopy(other.keys[l], 0, keys[l], 0, n);
                System.arraycopy(other.values[l], 0, values[l], 0, n);
            }
            position = length;
        }

        /** Forgets everything after the first {@code length} positions (0 resets the sequence). */
        public void truncate(int length) {
            if (length < 0 || length > position) {
                throw new IllegalArgumentException("cannot truncate a sequence of " + position + " tokens to " + length);
            }
            position = length;
        }
    }

    /** Activation buffers, grown to the largest batch seen and reused. */
    private static final class Scratch {
        float[] x = new float[0], xn = x, q = x, k = x, v = x, att = x, o = x, g = x, u = x;
        float[][] cos = new float[0][], sin = cos;
        int[] rowPos = new int[0];
        Session[] rowSession = new Session[0];
        /** Attention's plan for the pass: the rows that attend alone, and blocks (first row, row count). */
        int[] singleRow = rowPos, blockRow = rowPos, blockRowCount = rowPos;
        int singleRows, blocks;
        int rows = -1;
        int maxContext;
        private float[] f16Activations = new float[0];
        /** The sessions of the current pass, the first row of each (and the row count after the last). */
        Session[] batch = new Session[0];
        int[] batchStart = new int[1];
        int batchSize;
        /** Whether a session of the current pass applies adapters. */
        boolean adapted;
        private float[] loraIn = new float[0], loraMid = loraIn, loraOut = loraIn;

        void batch(Session[] sessions, int[][] tokens) {
            if (batch.length < sessions.length) {
                batch = new Session[sessions.length];
                batchStart = new int[sessions.length + 1];
            }
            adapted = false;
            for (int i = 0; i < sessions.length; i++) {
                batch[i] = sessions[i];
                batchStart[i + 1] = batchStart[i] + tokens[i].length;
                adapted |= sessions[i].lora != null;
            }
            batchSize = sessions.length;
        }

        float[] loraIn(int n) {
            return loraIn.length >= n ? loraIn : (loraIn = new float[n]);
        }

        float[] loraMid(int n) {
            return loraMid.length >= n ? loraMid : (loraMid = new float[n]);
        }

        float[] loraOut(int n) {
            return loraOut.length >= n ? loraOut : (loraOut = new float[n]);
        }

        /** A buffer for {@code n} activations rounded to F16 (only used with F16 activation rounding on). */
        float[] f16Activations(int n) {
            if (f16Activations.length < n) {
                f16Activations = new float[n];
            }
            return f16Activations;
        }

        void ensure(DecoderConfig c, int n, int outRows) {
            if (n <= rows && outRows <= rows) {
                return;
            }
            int m = Math.max(n, outRows);
            x = new float[m * c.hiddenSize()];
            xn = new float[m * c.hiddenSize()];
            o = new float[m * c.hiddenSize()];
            q = new float[m * c.qDim()];
            att = new float[m * c.qDim()];
            k = new float[m * c.kvDim()];
            v = new float[m * c.kvDim()];
            g = new float[m * c.ffnSize()];
            u = new float[m * c.ffnSize()];
            cos = new float[m][c.rotaryDim() / 2];
            sin = new float[m][c.rotaryDim() / 2];
            rowPos = new int[m];
            rowSession = new Session[m];
            singleRow = new int[m];
            blockRow = new int[m];
            blockRowCount = new int[m];
            rows = m;
        }
    }
}
