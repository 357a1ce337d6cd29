package dev.plinth.io;

import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.hf.HfConfig;
import dev.plinth.io.llama2c.Llama2cCheckpoint;
import dev.plinth.io.llama2c.Llama2cConfig;
import dev.plinth.io.llama2c.Llama2cVocabulary;
import dev.plinth.io.safetensors.SafetensorsModel;
import dev.plinth.io.safetensors.ShardedSafetensors;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Opens a model file or folder of any format Plinth reads, detecting the format from its content
 * (and, for llama2.c, its {@code .bin} name and a header consistent with its size).
 */
public final class ModelFiles {

    public static final String SUPPORTED = "GGUF files (.gguf), safetensors files (.safetensors) and sharded "
            + "indexes (model.safetensors.index.json), Hugging Face model folders (config.json with model.safetensors "
            + "or model.safetensors.index.json) and llama2.c checkpoints (.bin)";

    private static final int GGUF_MAGIC = 0x46554747;

    private ModelFiles() {
    }

    /** Opens {@code path}; an unknown format is a {@link ModelFormatException} listing what Plinth reads. */
    public static ModelFile open(Path path) throws IOException {
        return open(path, null);
    }

    /**
     * Opens {@code path}; for a llama2.c checkpoint, {@code tokenizer} (may be null) names its
     * tokenizer {@code .bin}, whose size and maximum piece length are added to the metadata.
     */
    public static ModelFile open(Path path, Path tokenizer) throws IOException {
        if (!Files.exists(path)) {
            throw new java.nio.file.NoSuchFileException(path.toString());
        }
        if (Files.isDirectory(path)) {
            return openFolder(path);
        }
        String name = path.getFileName().toString();
        byte[] head = readHead(path, 9);
        ModelFile result;
        if (head.length >= 4 && ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt(0) == GGUF_MAGIC) {
            result = gguf(path);
        } else if (name.equals("config.json")) {
            return openFolder(path.toAbsolutePath().getParent());
        } else if (name.endsWith(".json")) {
            result = safetensors(path, ShardedSafetensors.open(path), null);
        } else if (name.endsWith(".safetensors") || looksLikeSafetensors(head, Files.size(path))) {
            result = safetensors(path, SafetensorsModel.open(path), null);
        } else if (name.endsWith(".bin")) {
            if (head.length >= 2 && head[0] == 'P' && head[1] == 'K') {
                throw new ModelFormatException(path, null, 0, "a PyTorch (zip/pickle) checkpoint; Plinth reads "
                        + "safetensors instead (convert it, e.g. with save_pretrained(safe_serialization=True))");
            }
            return llama2c(path, tokenizer);
        } else {
            throw new ModelFormatException(path, null, 0, "not a model file Plinth recognizes; it reads " + SUPPORTED);
        }
        if (tokenizer != null) {
            result.close();
            throw new IllegalArgumentException("a separate tokenizer applies to llama2.c checkpoints only");
        }
        return result;
    }

    private static ModelFile openFolder(Path dir) throws IOException {
        Path config = dir.resolve("config.json");
        boolean weights = Files.isRegularFile(dir.resolve(SafetensorsModel.INDEX_FILE))
                || Files.isRegularFile(dir.resolve(SafetensorsModel.SINGLE_FILE));
        if (!Files.isRegularFile(config) || !weights) {
            throw new ModelFormatException(dir, null, -1, "folder is not a Hugging Face model (needs config.json and "
                    + SafetensorsModel.SINGLE_FILE + " or " + SafetensorsModel.INDEX_FILE + "); Plinth reads " + SUPPORTED);
        }
        HfConfig hf = HfConfig.read(config);
        return safetensors(dir, SafetensorsModel.open(dir), hf);
    }

    private static byte[] readHead(Path path, int n) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return in.readNBytes(n);
        }
    }

    private static boolean looksLikeSafetensors(byte[] head, long size) {
        if (head.length < 9) {
            return false;
        }
        long n = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return n >= 2 && n <= size - 8 && head[8] == '{';
    }

    private static ModelFile gguf(Path path) throws IOException {
        GgufFile g = GgufFile.open(path);
        Map<String, Object> meta = new LinkedHashMap<>();
        g.metadata().forEach((k, v) -> meta.put(k, plain(v.value())));
        List<ModelFile.TensorInfo> infos = new ArrayList<>();
        for (GgufFile.TensorInfo t : g.tensorInfos()) {
            infos.add(new ModelFile.TensorInfo(t.name(), t.dtype(), t.shape(), t.byteSize()));
        }
        String arch = g.getString("general.architecture", null);
        return new Opened(path, ModelFormat.GGUF, arch, meta, infos, g::tensor, g::close);
    }

    private static Object plain(Object v) {
        if (v instanceof GgufValue.GgufArray a) {
            List<Object> out = new ArrayList<>(a.elements().size());
            for (Object e : a.elements()) {
                out.add(plain(e));
            }
            return Collections.unmodifiableList(out);
        }
        return v instanceof GgufValue gv ? plain(gv.value()) : v;
    }

    private static ModelFile safetensors(Path path, SafetensorsModel model, HfConfig config) throws IOException {
        try {
            Map<String, Object> meta = new LinkedHashMap<>();
            String arch = null;
            ModelFormat format = ModelFormat.SAFETENSORS;
            if (config != null) {
                format = ModelFormat.HF_FOLDER;
                meta.putAll(config.asMap());
                arch = config.modelType().orElse(null);
            }
            if (model instanceof ShardedSafetensors s) {
                meta.put("safetensors.shards", s.shards().size());
                s.indexMetadata().forEach((k, v) -> meta.put("safetensors.index." + k, v));
            }
            model.metadata().forEach((k, v) -> meta.put("safetensors." + k, v));
            List<ModelFile.TensorInfo> infos = new ArrayList<>();
            for (SafetensorsModel.TensorInfo t : model.tensorInfos()) {
                infos.add(new ModelFile.TensorInfo(t.name(), t.dtype(), t.shape(), t.byteSize()));
            }
            return new Opened(path, format, arch, meta, infos, model::tensor, model::close);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static ModelFile llama2c(Path path, Path tokenizer) throws IOException {
        Llama2cCheckpoint c = Llama2cCheckpoint.open(path);
        try {
            Llama2cConfig cfg = c.config();
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("dim", cfg.dim());
            meta.put("hidden_dim", cfg.hiddenDim());
            meta.put("n_layers", cfg.nLayers());
            meta.put("n_heads", cfg.nHeads());
            meta.put("n_kv_heads", cfg.nKvHeads());
            meta.put("vocab_size", cfg.vocabSize());
            meta.put("seq_len", cfg.seqLen());
            meta.put("shared_classifier", cfg.sharedClassifier());
            if (tokenizer != null) {
                Llama2cVocabulary v = Llama2cVocabulary.read(tokenizer, cfg.vocabSize());
                meta.put("tokenizer.path", tokenizer.toString());
                meta.put("tokenizer.tokens", v.size());
                meta.put("tokenizer.max_token_length", v.maxTokenLength());
            }
            List<ModelFile.TensorInfo> infos = new ArrayList<>();
            for (Llama2cCheckpoint.TensorInfo t : c.tensorInfos()) {
                infos.add(new ModelFile.TensorInfo(t.name(), t.dtype(), t.shape(), t.byteSize()));
            }
            return new Opened(path, ModelFormat.LLAMA2C, "llama", meta, infos, c::tensor, c::close);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** The one implementation: values gathered at open, tensors and close delegated to the reader. */
    private record Opened(Path path, ModelFormat format, String arch, Map<String, Object> meta,
                          List<ModelFile.TensorInfo> infos, java.util.function.Function<String, Tensor> lookup,
                          Runnable closer) implements ModelFile {

        Opened {
            meta = Collections.unmodifiableMap(meta);
            infos = List.copyOf(infos);
        }

        @Override
        public Optional<String> architecture() {
            return Optional.ofNullable(arch);
        }

        @Override
        public Map<String, Object> metadata() {
            return meta;
        }

        @Override
        public List<ModelFile.TensorInfo> tensorInfos() {
            return infos;
        }

        @Override
        public Tensor tensor(String name) {
            return lookup.apply(name);
        }

        @Override
        public void close() {
            closer.run();
        }
    }
}
