package dev.plinth.model;

import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.hf.HfConfig;
import dev.plinth.io.onnx.OnnxModel;
import dev.plinth.io.safetensors.SafetensorsModel;
import dev.plinth.tensor.Activations;
import dev.plinth.tensor.MatMul;
import dev.plinth.tensor.Norms;
import dev.plinth.tensor.Parallel;
import dev.plinth.tensor.Quantization;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A BERT-family encoder (BERT, MiniLM, BGE, E5) with its weights: word, position and token-type
 * embeddings, an embedding LayerNorm, then layers of bidirectional self-attention and a GELU (erf)
 * feed-forward block, each followed by a residual add and LayerNorm.
 *
 * <p>A batch of sentences is run as one packed matrix of all their tokens, so every linear layer
 * is a single matrix product over the whole batch while attention stays within each sentence;
 * nothing is padded, which is exactly what an attention mask over padding computes.
 *
 * <p>Linear weights stay in the file's type (memory-mapped for safetensors and GGUF, F32/F16/BF16
 * or GGUF quantizations); embeddings, biases and norms are held as F32 arrays. Close to unmap.
 */
public final class BertModel implements AutoCloseable {

    private record Layer(Tensor q, Tensor k, Tensor v, Tensor o, Tensor up, Tensor down,
                         float[] bq, float[] bk, float[] bv, float[] bo, float[] bUp, float[] bDown,
                         float[] ln1w, float[] ln1b, float[] ln2w, float[] ln2b) {
    }

    private final BertConfig config;
    private final AutoCloseable source;
    private final float[] wordEmb;
    private final float[] posEmb;
    private final float[] typeEmb;
    private final float[] embLnW;
    private final float[] embLnB;
    private final Layer[] layers;

    private BertModel(BertConfig config, BertWeights w, AutoCloseable source) throws ModelFormatException {
        this.config = config;
        this.source = source;
        int h = config.hiddenSize();
        String e = "embeddings.";
        wordEmb = floats(w, e + "word_embeddings.weight", (long) config.vocabSize() * h);
        posEmb = floats(w, e + "position_embeddings.weight", (long) config.maxPositions() * h);
        typeEmb = floats(w, e + "token_type_embeddings.weight", (long) config.typeVocabSize() * h);
        embLnW = floats(w, e + "LayerNorm.weight", h);
        embLnB = floats(w, e + "LayerNorm.bias", h);
        layers = new Layer[config.layers()];
        int f = config.intermediateSize();
        for (int i = 0; i < layers.length; i++) {
            String p = "encoder.layer." + i + ".";
            layers[i] = new Layer(
                    linear(w, p + "attention.self.query", h, h),
                    linear(w, p + "attention.self.key", h, h),
                    linear(w, p + "attention.self.value", h, h),
                    linear(w, p + "attention.output.dense", h, h),
                    linear(w, p + "intermediate.dense", f, h),
                    linear(w, p + "output.dense", h, f),
                    floats(w, p + "attention.self.query.bias", h),
                    floats(w, p + "attention.self.key.bias", h),
                    floats(w, p + "attention.self.value.bias", h),
                    floats(w, p + "attention.output.dense.bias", h),
                    floats(w, p + "intermediate.dense.bias", f),
                    floats(w, p + "output.dense.bias", h),
                    floats(w, p + "attention.output.LayerNorm.weight", h),
                    floats(w, p + "attention.output.LayerNorm.bias", h),
                    floats(w, p + "output.LayerNorm.weight", h),
                    floats(w, p + "output.LayerNorm.bias", h));
        }
    }

    /**
     * Loads a Hugging Face folder ({@code config.json} + safetensors), a {@code .gguf} file of
     * llama.cpp's BERT conversion, or a PyTorch-exported {@code .onnx} file (its configuration
     * derived from the weights and graph, or read from a {@code config.json} beside it).
     */
    public static BertModel load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            BertConfig config = BertConfig.fromHf(HfConfig.read(path.resolve("config.json")));
            SafetensorsModel st = SafetensorsModel.open(path);
            return build(config, BertWeights.of(st, path), st);
        }
        String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".gguf")) {
            GgufFile g = GgufFile.open(path);
            return build(() -> BertConfig.fromGguf(g), BertWeights.of(g), g);
        }
        if (name.endsWith(".onnx")) {
            OnnxModel onnx = OnnxModel.open(path);
            Path beside = path.resolveSibling("config.json");
            return build(() -> Files.isRegularFile(beside)
                    ? BertConfig.fromHf(HfConfig.read(beside)) : OnnxBertConfig.derive(onnx), BertWeights.of(onnx), onnx);
        }
        if (name.endsWith(".safetensors") || name.endsWith(".json")) {
            Path dir = path.toAbsolutePath().getParent();
            BertConfig config = BertConfig.fromHf(HfConfig.read(dir.resolve("config.json")));
            SafetensorsModel st = SafetensorsModel.open(path);
            return build(config, BertWeights.of(st, path), st);
        }
        throw new ModelFormatException(path, null, -1, "not a folder, .gguf, .onnx or .safetensors file");
    }

    private interface ConfigSource {
        BertConfig get() throws IOException;
    }

    private static BertModel build(ConfigSource config, BertWeights w, AutoCloseable source) throws IOException {
        try {
            return new BertModel(config.get(), w, source);
        } catch (IOException | RuntimeException e) {
            closeQuietly(source, e);
            throw e;
        }
    }

    private static BertModel build(BertConfig config, BertWeights w, AutoCloseable source) throws IOException {
        return build(() -> config, w, source);
    }

    public BertConfig config() {
        return config;
    }

    /** Final hidden states of one sequence of token ids: {@code [ids.length][hiddenSize]}. */
    public float[][] hiddenStates(int[] ids) {
        int h = config.hiddenSize();
        float[] x = forward(List.of(ids));
        float[][] out = new float[ids.length][];
        for (int t = 0; t < ids.length; t++) {
            out[t] = Arrays.copyOfRange(x, t * h, (t + 1) * h);
        }
        return out;
    }

    /**
     * One embedding per sequence of token ids (each already holding its [CLS]/[SEP]), pooled and,
     * when {@code normalize}, scaled to unit L2 norm.
     */
    public float[][] embed(List<int[]> sequences, Pooling pooling, boolean normalize) {
        int h = config.hiddenSize();
        float[] x = forward(sequences);
        float[][] out = new float[sequences.size()][h];
        int start = 0;
        for (int s = 0; s < sequences.size(); s++) {
            int len = sequences.get(s).length;
            float[] e = out[s];
            if (pooling == Pooling.CLS) {
                System.arraycopy(x, start * h, e, 0, h);
            } else {
                for (int t = 0; t < len; t++) {
                    Activations.add(e, 0, e, 0, x, (start + t) * h, h);
                }
                Activations.scale(e, 0, h, 1f / len);
            }
            if (normalize) {
                l2Normalize(e);
            }
            start += len;
        }
        return out;
    }

    /** Packed final hidden states {@code [sum of lengths, hiddenSize]}. */
    float[] forward(List<int[]> sequences) {
        int[] starts = new int[sequences.size() + 1];
        for (int s = 0; s < sequences.size(); s++) {
            int[] ids = sequences.get(s);
            if (ids.length == 0) {
                throw new IllegalArgumentException("sequence " + s + " is empty");
            }
            if (ids.length > config.maxPositions()) {
                throw new IllegalArgumentException("sequence " + s + " has " + ids.length
                        + " tokens, the model takes at most " + config.maxPositions());
            }
            for (int id : ids) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " in sequence " + s
                            + " is outside the vocabulary of " + config.vocabSize());
                }
            }
            starts[s + 1] = Math.addExact(starts[s], ids.length);
        }
        int tokens = starts[sequences.size()];
        int h = config.hiddenSize();
        float[] x = new float[Math.multiplyExact(tokens, h)];
        embedTokens(sequences, starts, x);
        Scratch buf = new Scratch(tokens, h, config.intermediateSize());
        for (Layer layer : layers) {
            layer(layer, x, starts, buf);
        }
        return x;
    }

    private void embedTokens(List<int[]> sequences, int[] starts, float[] x) {
        int h = config.hiddenSize();
        float eps = config.layerNormEps();
        Parallel.parallelFor(sequences.size(), (s0, s1) -> {
            for (int s = s0; s < s1; s++) {
                int[] ids = sequences.get(s);
                for (int p = 0; p < ids.length; p++) {
                    int row = (starts[s] + p) * h;
                    Activations.add(x, row, wordEmb, ids[p] * h, posEmb, p * h, h);
                    Activations.add(x, row, x, row, typeEmb, 0, h);
                    Norms.layerNorm(x, row, x, row, embLnW, embLnB, 0, h, eps);
                }
            }
        });
    }

    private static final class Scratch {
        final float[] q;
        final float[] k;
        final float[] v;
        final float[] ctx;
        final float[] tmp;
        final float[] ffn;

        Scratch(int tokens, int h, int f) {
            q = new float[tokens * h];
            k = new float[tokens * h];
            v = new float[tokens * h];
            ctx = new float[tokens * h];
            tmp = new float[tokens * h];
            ffn = new float[Math.multiplyExact(tokens, f)];
        }
    }

    private void layer(Layer l, float[] x, int[] starts, Scratch b) {
        int tokens = starts[starts.length - 1];
        int h = config.hiddenSize();
        int f = config.intermediateSize();
        float eps = config.layerNormEps();
        linear(l.q, x, tokens, b.q);
        linear(l.k, x, tokens, b.k);
        linear(l.v, x, tokens, b.v);
        Parallel.parallelFor(tokens, 16, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                Activations.add(b.q, t * h, b.q, t * h, l.bq, 0, h);
                Activations.add(b.k, t * h, b.k, t * h, l.bk, 0, h);
                Activations.add(b.v, t * h, b.v, t * h, l.bv, 0, h);
            }
        });
        attention(b, starts);
        linear(l.o, b.ctx, tokens, b.tmp);
        Parallel.parallelFor(tokens, 16, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int r = t * h;
                Activations.add(b.tmp, r, b.tmp, r, l.bo, 0, h);
                Activations.add(x, r, x, r, b.tmp, r, h);
                Norms.layerNorm(x, r, x, r, l.ln1w, l.ln1b, 0, h, eps);
            }
        });
        linear(l.up, x, tokens, b.ffn);
        Parallel.parallelFor(tokens, 4, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                Activations.add(b.ffn, t * f, b.ffn, t * f, l.bUp, 0, f);
                Activations.geluErf(b.ffn, t * f, f);
            }
        });
        linear(l.down, b.ffn, tokens, b.tmp);
        Parallel.parallelFor(tokens, 16, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int r = t * h;
                Activations.add(b.tmp, r, b.tmp, r, l.bDown, 0, h);
                Activations.add(x, r, x, r, b.tmp, r, h);
                Norms.layerNorm(x, r, x, r, l.ln2w, l.ln2b, 0, h, eps);
            }
        });
    }

    /** Tokens per matrix product: a block of activations stays in L2 while the weights stream past it. */
    static final int ROW_BLOCK = 128;

    /** {@code y[tokens, n] = x[tokens, k] · W^T}, in row blocks (the kernel streams all of x once per 4 weight rows). */
    private static void linear(Tensor w, float[] x, int tokens, float[] y) {
        if (tokens <= ROW_BLOCK) {
            MatMul.matmul(w, x, tokens, y);
            return;
        }
        int n = (int) w.dim(0);
        int k = (int) w.dim(1);
        float[] xb = new float[ROW_BLOCK * k];
        float[] yb = new float[ROW_BLOCK * n];
        for (int t0 = 0; t0 < tokens; t0 += ROW_BLOCK) {
            int m = Math.min(ROW_BLOCK, tokens - t0);
            System.arraycopy(x, t0 * k, xb, 0, m * k);
            MatMul.matmul(w, xb, m, yb);
            System.arraycopy(yb, 0, y, t0 * n, m * n);
        }
    }

    /** Scaled dot-product attention of every head of every sequence, each (sequence, head) one task. */
    private void attention(Scratch b, int[] starts) {
        int heads = config.heads();
        int d = config.headDim();
        int h = config.hiddenSize();
        float scale = (float) (1.0 / Math.sqrt(d));
        int sequences = starts.length - 1;
        Parallel.parallelFor(sequences * heads, (j0, j1) -> {
            for (int j = j0; j < j1; j++) {
                int s = j / heads;
                int head = j % heads;
                int start = starts[s];
                int len = starts[s + 1] - start;
                float[] qh = new float[len * d];
                float[] kh = new float[len * d];
                float[] vt = new float[d * len];
                for (int t = 0; t < len; t++) {
                    int src = (start + t) * h + head * d;
                    System.arraycopy(b.q, src, qh, t * d, d);
                    System.arraycopy(b.k, src, kh, t * d, d);
                    for (int c = 0; c < d; c++) {
                        vt[c * len + t] = b.v[src + c];
                    }
                }
                float[] scores = new float[len * len];
                MatMul.gemm(qh, kh, scores, len, len, d);
                for (int t = 0; t < len; t++) {
                    Activations.scale(scores, t * len, len, scale);
                    Activations.softmax(scores, t * len, len);
                }
                float[] out = new float[len * d];
                MatMul.gemm(scores, vt, out, len, d, len);
                for (int t = 0; t < len; t++) {
                    System.arraycopy(out, t * d, b.ctx, (start + t) * h + head * d, d);
                }
            }
        });
    }

    static void l2Normalize(float[] e) {
        double ss = 0;
        for (float v : e) {
            ss += (double) v * v;
        }
        float inv = (float) (1.0 / Math.max(Math.sqrt(ss), 1e-12));
        Activations.scale(e, 0, e.length, inv);
    }

    private static Tensor linear(BertWeights w, String base, int out, int in) throws ModelFormatException {
        Tensor t = require(w, base + ".weight");
        if (t.rank() != 2 || t.dim(0) != out || t.dim(1) != in) {
            throw new ModelFormatException(w.file(), base + ".weight", -1,
                    "shape " + Arrays.toString(t.shape()) + ", expected [" + out + ", " + in + "]");
        }
        if (!MatMul.supported(t.dtype())) {
            throw new ModelFormatException(w.file(), base + ".weight", -1, "type " + t.dtype() + " has no matrix kernel");
        }
        return t;
    }

    private static float[] floats(BertWeights w, String name, long expected) throws ModelFormatException {
        Tensor t = require(w, name);
        if (t.elementCount() != expected) {
            throw new ModelFormatException(w.file(), name, -1,
                    "shape " + Arrays.toString(t.shape()) + " holds " + t.elementCount() + " values, expected " + expected);
        }
        if (!Quantization.supports(t.dtype())) {
            throw new ModelFormatException(w.file(), name, -1, "type " + t.dtype() + " cannot be read as floats");
        }
        float[] out = new float[(int) expected];
        try {
            Quantization.dequantize(t.dtype(), t.data(), 0, out, 0, out.length);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new ModelFormatException(w.file(), name, -1, "data do not match the shape: " + e.getMessage(), e);
        }
        return out;
    }

    private static Tensor require(BertWeights w, String name) throws ModelFormatException {
        Tensor t = w.get(name);
        if (t == null) {
            throw new ModelFormatException(w.file(), name, -1, "tensor missing from the model");
        }
        return t;
    }

    private static void closeQuietly(AutoCloseable c, Throwable primary) {
        try {
            c.close();
        } catch (Exception e) {
            primary.addSuppressed(e);
        }
    }

    /** Unmaps the model file; the model must not be used afterwards. */
    @Override
    public void close() {
        try {
            source.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + source + ": " + e.getMessage(), e);
        }
    }
}
