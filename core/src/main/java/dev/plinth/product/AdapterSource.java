package dev.plinth.product;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.safetensors.SafetensorsFile;
import dev.plinth.io.safetensors.SafetensorsModel;
import dev.plinth.model.GgufLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An ADAPTER line brought into the store: the adapter is checked as far as it can be before adapters
 * run (it exists; it is a PEFT LoRA folder or a LoRA GGUF of the base's architecture; every tensor
 * pairs with a base matrix of fitting shape; the base it records having been trained on is this
 * product's), and its files are stored as {@code adapter} layers with its index and scale.
 *
 * <p>What an adapter records of its own lineage is read from {@value #LINEAGE_FILE} in a PEFT folder,
 * or {@code <name>.lineage.json} beside a LoRA GGUF: {@code base} (the {@code sha256:} digest of the
 * base GGUF it was trained on), {@code data} and {@code config} (digests of its training data's
 * dataset card and of its training configuration), with {@code dataSource} and {@code configSource}
 * naming the files. Without that file, a {@code card.json} and a {@code config.properties} in the
 * PEFT folder stand for the data and the configuration.
 */
final class AdapterSource {

    static final String LINEAGE_FILE = "lineage.json";
    private static final String PEFT_CONFIG = "adapter_config.json";
    private static final String PEFT_WEIGHTS = "adapter_model.safetensors";
    private static final Pattern PEFT_TENSOR = Pattern.compile(
            "(?:base_model\\.model\\.)?(.+)\\.(lora_A|lora_B|lora_embedding_A|lora_embedding_B)(?:\\.[A-Za-z0-9_]+)?");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The adapter's layers and its lineage node. */
    record Stored(List<Descriptor> layers, LineageNode node) {
    }

    /** The base an adapter is checked against: its weights' digest and its GGUF header. */
    record Base(Digest digest, GgufFacts facts) {
        int layers() {
            return (int) facts.shapes().keySet().stream().filter(n -> n.matches("blk\\.\\d+\\..*"))
                    .mapToInt(n -> Integer.parseInt(n.split("\\.")[1])).max().orElse(-1) + 1;
        }
    }

    private final Store store;
    private final Plinthfile pf;
    private final Plinthfile.Adapter spec;
    private final Base base;

    private AdapterSource(Store store, Plinthfile pf, Plinthfile.Adapter spec, Base base) {
        this.store = store;
        this.pf = pf;
        this.spec = spec;
        this.base = base;
    }

    /** Checks and stores the adapter of {@code spec} as adapter number {@code index}. */
    static Stored store(Store store, Plinthfile pf, Plinthfile.Adapter spec, int index, Base base, boolean force)
            throws IOException {
        return new AdapterSource(store, pf, spec, base).store(index, force);
    }

    private Stored store(int index, boolean force) throws IOException {
        Path path = spec.path();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("scale", spec.scale());
        String format;
        List<Path> files;
        Path weights;
        Path recordFile;
        if (Files.isDirectory(path)) {
            format = "peft";
            weights = checkPeft(path, details);
            files = List.of(path.resolve(PEFT_CONFIG), weights);
            recordFile = path.resolve(LINEAGE_FILE);
        } else if (GgufFacts.isGguf(path)) {
            format = "gguf";
            checkLoraGguf(path, details);
            weights = path;
            files = List.of(path);
            String stem = path.getFileName().toString().replaceFirst("\\.gguf$", "");
            recordFile = path.resolveSibling(stem + ".lineage.json");
        } else {
            throw error(path + " is neither a PEFT adapter folder (" + PEFT_CONFIG + ") nor a LoRA GGUF file");
        }
        List<LineageNode> parents = recordedParents(path, recordFile, details, force);
        List<Descriptor> layers = new ArrayList<>();
        for (Path f : files) {
            Descriptor d = store.putFile(LayerType.ADAPTER.mediaType(), f, Store.Placement.COPY);
            layers.add(d.withAnnotations(Map.of(Product.ADAPTER_INDEX, Integer.toString(index),
                    Product.ADAPTER_SCALE, Float.toString(spec.scale()), Product.ADAPTER_FORMAT, format,
                    Product.TITLE, f.getFileName().toString())));
        }
        Digest digest = layers.get(files.indexOf(weights)).digest();
        LineageNode node = LineageNode.of("adapter", format.equals("peft") ? "peft" : "lora-gguf", digest,
                path.toAbsolutePath().normalize().toString()).withDetails(details).withParents(parents);
        return new Stored(layers, node);
    }

    private PlinthfileException error(String message) {
        return pf.error(spec.at(), message);
    }

    // ---- PEFT ----

    /** Checks a PEFT folder and returns its weights file. */
    private Path checkPeft(Path folder, Map<String, Object> details) throws IOException {
        Path configFile = folder.resolve(PEFT_CONFIG);
        if (!Files.isRegularFile(configFile)) {
            throw error(folder + " is not a PEFT adapter folder: it has no " + PEFT_CONFIG);
        }
        JsonNode config;
        try {
            config = JSON.readTree(configFile.toFile());
        } catch (IOException e) {
            throw error(configFile + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        String type = config.path("peft_type").asText("LORA");
        if (!type.equalsIgnoreCase("LORA")) {
            throw error(configFile + ": peft_type is " + type + "; only LoRA adapters are supported");
        }
        String task = config.path("task_type").asText("CAUSAL_LM");
        if (!task.equals("CAUSAL_LM")) {
            throw error(configFile + ": task_type is " + task + "; a product's adapter must be CAUSAL_LM");
        }
        copyDetail(config, "r", details, "rank");
        copyDetail(config, "lora_alpha", details, "alpha");
        copyDetail(config, "base_model_name_or_path", details, "base_model_name_or_path");
        Path weights = folder.resolve(PEFT_WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw error(folder + " has no " + PEFT_WEIGHTS
                    + (Files.exists(folder.resolve("adapter_model.bin")) ? " (only a PyTorch adapter_model.bin; save it with safetensors)" : ""));
        }
        try (SafetensorsFile st = SafetensorsFile.open(weights)) {
            checkPeftTensors(st.tensorInfos());
        }
        return weights;
    }

    private static void copyDetail(JsonNode config, String field, Map<String, Object> details, String as) {
        JsonNode v = config.get(field);
        if (v != null && !v.isNull()) {
            details.put(as, v.isNumber() ? v.numberValue() : v.asText());
        }
    }

    private void checkPeftTensors(List<SafetensorsModel.TensorInfo> tensors) {
        Map<String, String> ggufNames = GgufLayout.hfNames(base.layers());
        Map<String, long[][]> pairs = new TreeMap<>();
        for (SafetensorsModel.TensorInfo t : tensors) {
            Matcher m = PEFT_TENSOR.matcher(t.name().replaceFirst("\\.weight$", ""));
            if (!m.matches()) {
                throw error("tensor " + t.name() + " is not a LoRA tensor (lora_A, lora_B, lora_embedding_A or lora_embedding_B)");
            }
            String module = m.group(1) + ".weight";
            String baseName = ggufNames.get(module);
            if (baseName == null || !base.facts().shapes().containsKey(baseName)) {
                throw error("tensor " + t.name() + " adapts " + m.group(1) + ", which is not a matrix of the base ("
                        + base.layers() + " layers)");
            }
            long[][] pair = pairs.computeIfAbsent(baseName, k -> new long[2][]);
            pair[m.group(2).endsWith("A") ? 0 : 1] = t.shape();
        }
        pairs.forEach((baseName, pair) -> checkPair(baseName, pair[0], pair[1], baseName.equals("token_embd.weight")));
    }

    /**
     * {@code a} is {@code [r, in]} and {@code b} {@code [out, r]} for a base matrix {@code [out, in]}
     * (row-major); an embedding's are {@code [r, vocab]} and {@code [dim, r]} for its {@code [vocab, dim]}.
     */
    private void checkPair(String baseName, long[] a, long[] b, boolean embedding) {
        if (a == null || b == null) {
            throw error("the adapter has " + (a == null ? "no A" : "no B") + " matrix for " + baseName);
        }
        long[] w = base.facts().shapes().get(baseName);
        long in = embedding ? w[0] : w[1];
        long out = embedding ? w[1] : w[0];
        if (a.length != 2 || b.length != 2 || a[1] != in || b[0] != out || a[0] != b[1]) {
            throw error("the adapter's matrices for " + baseName + " (A " + Arrays.toString(a) + ", B " + Arrays.toString(b)
                    + ") do not fit the base's " + Arrays.toString(w) + ": expected A [r, " + in + "] and B [" + out + ", r]");
        }
    }

    // ---- LoRA GGUF ----

    private void checkLoraGguf(Path file, Map<String, Object> details) throws IOException {
        try (GgufFile g = GgufFile.open(file)) {
            String type = g.getString("general.type", "model");
            if (!type.equals("adapter")) {
                throw error(file + " is a GGUF " + type + ", not an adapter (general.type must be adapter)");
            }
            String kind = g.getString("adapter.type", "");
            if (!kind.equals("lora")) {
                throw error(file + ": adapter.type is '" + kind + "'; only LoRA adapters are supported");
            }
            String arch = g.getString("general.architecture", "");
            if (!arch.equals(base.facts().architecture())) {
                throw error(file + " is an adapter for architecture '" + arch + "', the base is '"
                        + base.facts().architecture() + "'");
            }
            details.put("alpha", g.getDouble("adapter.lora.alpha", 0));
            Map<String, long[][]> pairs = new TreeMap<>();
            for (GgufFile.TensorInfo t : g.tensorInfos()) {
                boolean isA = t.name().endsWith(".lora_a");
                if (!isA && !t.name().endsWith(".lora_b")) {
                    throw error("tensor " + t.name() + " is not a LoRA tensor (<base tensor>.lora_a or .lora_b)");
                }
                String baseName = t.name().substring(0, t.name().length() - ".lora_a".length());
                if (!base.facts().shapes().containsKey(baseName)) {
                    throw error("tensor " + t.name() + " adapts " + baseName + ", which the base does not have");
                }
                pairs.computeIfAbsent(baseName, k -> new long[2][])[isA ? 0 : 1] = t.shape();
            }
            pairs.forEach((baseName, pair) -> checkPair(baseName, pair[0], pair[1], false));
        }
    }

    // ---- lineage ----

    /**
     * The base, data and configuration the adapter records (see the class comment); refuses an
     * adapter trained on another base unless {@code force}, which records the mismatch.
     */
    private List<LineageNode> recordedParents(Path path, Path recordFile, Map<String, Object> details, boolean force)
            throws IOException {
        JsonNode record = JSON.createObjectNode();
        if (Files.isRegularFile(recordFile)) {
            try {
                record = JSON.readTree(recordFile.toFile());
            } catch (IOException e) {
                throw error(recordFile + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
        List<LineageNode> parents = new ArrayList<>();
        String trainedOn = record.path("base").asText(null);
        if (trainedOn != null) {
            parents.add(new LineageNode("trained-on", "gguf", null, trainedOn, null, Map.of(), List.of()));
            if (!trainedOn.equals(base.digest().toString())) {
                if (!force) {
                    throw error("the adapter was trained on base " + trainedOn + ", but this product's base is " + base.digest()
                            + "; --force creates it anyway and records the mismatch in the lineage");
                }
                details.put("mismatch", "trained on " + trainedOn + ", applied to " + base.digest() + " (--force)");
            }
        }
        LineageNode data = recorded(record, "data", "dataSource", "data", "dataset-card",
                Files.isDirectory(path) ? path.resolve("card.json") : null);
        LineageNode config = recorded(record, "config", "configSource", "training-config", "file",
                Files.isDirectory(path) ? path.resolve("config.properties") : null);
        if (data != null) {
            parents.add(data);
        }
        if (config != null) {
            parents.add(config);
        }
        return parents;
    }

    private static LineageNode recorded(JsonNode record, String digestField, String sourceField, String role, String kind,
                                        Path fallback) throws IOException {
        String digest = record.path(digestField).asText(null);
        String source = record.path(sourceField).asText(null);
        if (digest != null) {
            return new LineageNode(role, kind, null, digest, source, Map.of(), List.of());
        }
        if (fallback != null && Files.isRegularFile(fallback)) {
            return LineageNode.of(role, kind, Digest.ofFile(fallback), fallback.toAbsolutePath().normalize().toString());
        }
        return null;
    }
}
