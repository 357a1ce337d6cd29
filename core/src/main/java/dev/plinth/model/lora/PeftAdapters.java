package dev.plinth.model.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.io.AtomicFiles;
import dev.plinth.io.ModelFormatException;
import dev.plinth.io.safetensors.SafetensorsFile;
import dev.plinth.io.safetensors.SafetensorsModel;
import dev.plinth.io.safetensors.SafetensorsWriter;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.GgufLayout;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * Hugging Face PEFT LoRA adapters: a folder with {@value #CONFIG} and {@value #WEIGHTS}, as
 * {@code PeftModel.save_pretrained} writes it (huggingface/peft {@code src/peft/utils/constants.py},
 * {@code src/peft/tuners/lora/config.py}, {@code src/peft/utils/save_and_load.py}).
 *
 * <p>Tensors are named after the base's Hugging Face modules:
 * {@code base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight} {@code [r, in]} and
 * {@code ….lora_B.weight} {@code [out, r]} for q/k/v/o_proj and mlp gate/up/down_proj; the
 * {@code modules_to_save} are stored whole ({@code base_model.model.score.weight}). Module names
 * map to the base's GGUF weight names through {@link GgufLayout#hfNames}, and B's rows are
 * reordered between Hugging Face's rotate-half layout and GGUF's interleaved RoPE pairs exactly
 * where the converter reorders base weights ({@link GgufLayout}) (llama and mistral q/k projections), so both
 * directions need the base's {@link DecoderConfig}.
 *
 * <p>Scaling: {@code lora_alpha / r}, or {@code lora_alpha / √r} with {@code use_rslora}; a module
 * matched by a key of {@code rank_pattern} / {@code alpha_pattern} takes that rank / alpha (PEFT's
 * {@code get_pattern_key}: the key is a regular expression that matches the module name or a
 * dot-separated tail of it). Refused on reading, each with a {@link ModelFormatException} naming file
 * and field or tensor: another {@code peft_type}, DoRA, {@code bias} other than {@code none},
 * embedding LoRA and any other tensor that is neither a pair nor a module to save, a tensor's rank
 * differing from the config's, pickled weights only ({@code adapter_model.bin}).
 *
 * <p>Plinth's provenance ({@link LoraAdapter#metadata()}) and the adapter's architecture go to a
 * side file {@value #PLINTH}: PEFT drops unknown keys of {@code adapter_config.json} only with a
 * warning to upgrade PEFT ({@code src/peft/config.py}, {@code _check_and_remove_unused_kwargs}), and
 * older versions fail on them.
 */
public final class PeftAdapters {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    public static final String PLINTH = "plinth.json";
    private static final String PICKLED_WEIGHTS = "adapter_model.bin";
    private static final String PREFIX = "base_model.model.";
    private static final String SUFFIX_A = ".lora_A.weight";
    private static final String SUFFIX_B = ".lora_B.weight";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Character reads one rank or alpha pattern may take to match a module name: bounds a pathological regex. */
    private static final int PATTERN_BUDGET = 1_000_000;

    private PeftAdapters() {
    }

    /** Reads the PEFT folder {@code folder} as an adapter of a base shaped as {@code base}. */
    public static LoraAdapter read(Path folder, DecoderConfig base) throws IOException {
        Path configFile = folder.resolve(CONFIG);
        Path weights = folder.resolve(WEIGHTS);
        if (!Files.isRegularFile(configFile)) {
            throw new ModelFormatException(configFile, null, -1, "is missing: not a PEFT adapter folder");
        }
        if (!Files.isRegularFile(weights)) {
            throw new ModelFormatException(weights, null, -1, Files.exists(folder.resolve(PICKLED_WEIGHTS))
                    ? "is missing; Plinth does not read pickled " + PICKLED_WEIGHTS + " (save with safe_serialization=True)"
                    : "is missing");
        }
        Config config = Config.read(configFile);
        Provenance plinth = Provenance.read(folder.resolve(PLINTH));
        Map<String, String> metadata = new LinkedHashMap<>(config.metadata());
        metadata.putAll(plinth.metadata());
        String architecture = plinth.architecture() != null ? plinth.architecture() : GgufLayout.ggufArchitecture(base);
        Map<String, String> hfToGguf = GgufLayout.hfNames(base.layers());
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            Map<String, Tensor> as = new LinkedHashMap<>();
            Map<String, Tensor> bs = new LinkedHashMap<>();
            Map<String, Tensor> whole = new LinkedHashMap<>();
            for (SafetensorsModel.TensorInfo info : file.tensorInfos()) {
                String name = info.name();
                String module = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : null;
                if (module != null && module.endsWith(SUFFIX_A)) {
                    as.put(strip(module, SUFFIX_A), file.tensor(name));
                } else if (module != null && module.endsWith(SUFFIX_B)) {
                    bs.put(strip(module, SUFFIX_B), file.tensor(name));
                } else if (module != null && config.saves(module)) {
                    String gguf = hfToGguf.getOrDefault(module, module);
                    Tensor t = AdapterTensors.matrix(weights, gguf, file.tensor(name));
                    whole.put(gguf, ggufRows(weights, base, gguf, t));
                } else {
                    throw AdapterTensors.refuse(weights, name, "is neither a LoRA pair tensor (" + PREFIX + "<module>"
                            + SUFFIX_A + " / " + SUFFIX_B + ") nor a module of modules_to_save " + config.modulesToSave()
                            + " (embedding LoRA, DoRA and LoRA biases are not supported)");
                }
            }
            Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
            for (String module : as.keySet()) {
                String gguf = hfToGguf.get(module + ".weight");
                if (gguf == null) {
                    throw AdapterTensors.refuse(weights, PREFIX + module + SUFFIX_A, "names no weight of a "
                            + base.layers() + "-layer " + base.architecture() + " base");
                }
                pairs.put(gguf, pair(weights, config, base, module, gguf, as.get(module), bs.get(module)));
            }
            for (String module : bs.keySet()) {
                if (!as.containsKey(module)) {
                    throw AdapterTensors.refuse(weights, PREFIX + module + SUFFIX_B, "has no partner " + PREFIX + module
                            + SUFFIX_A);
                }
            }
            if (pairs.isEmpty() && whole.isEmpty()) {
                throw new ModelFormatException(weights, null, -1, "holds no LoRA pairs and no modules to save");
            }
            return new LoraAdapter(architecture, config.rsLora(), pairs, whole, metadata);
        }
    }

    private static LoraAdapter.Pair pair(Path file, Config config, DecoderConfig base, String module, String gguf,
                                         Tensor a, Tensor b) throws IOException {
        if (b == null) {
            throw AdapterTensors.refuse(file, PREFIX + module + SUFFIX_A, "has no partner " + PREFIX + module + SUFFIX_B);
        }
        Tensor fa = AdapterTensors.matrix(file, gguf + ".lora_a", a);
        Tensor fb = AdapterTensors.matrix(file, gguf + ".lora_b", b);
        int rank = config.rank(module);
        if (fa.dim(0) != rank) {
            throw AdapterTensors.refuse(file, PREFIX + module + SUFFIX_A, "rank mismatch: " + CONFIG + " gives "
                    + module + " rank " + rank + " but lora_A has " + fa.dim(0) + " rows");
        }
        return AdapterTensors.pair(file, gguf, fa, ggufRows(file, base, gguf, fb), config.alpha(module));
    }

    /** {@code t}'s rows in GGUF's order ({@link GgufLayout#toGgufRows}), refused when they do not split into the base's heads. */
    private static Tensor ggufRows(Path file, DecoderConfig base, String gguf, Tensor t) throws ModelFormatException {
        try {
            return AdapterTensors.floats(GgufLayout.toGgufRows(base, gguf, t));
        } catch (IllegalArgumentException e) {
            throw AdapterTensors.refuse(file, t.name(), e.getMessage());
        }
    }

    private static String strip(String name, String suffix) {
        return name.substring(0, name.length() - suffix.length());
    }

    /**
     * Writes {@code adapter}, an adapter of a base shaped as {@code base}, as the PEFT folder
     * {@code folder}: built beside it and renamed into place, replacing an earlier adapter there
     * ({@link AtomicFiles#writeFolder}). {@code r} and {@code lora_alpha} are the most common rank
     * and alpha, the others go to {@code rank_pattern} / {@code alpha_pattern} by full module name;
     * a pair without alpha (0, scale 1) gets the alpha that scales it by 1. {@code task_type} is
     * {@code SEQ_CLS} for a {@code classify} adapter ({@link LoraAdapter#META_TASK}), else
     * {@code CAUSAL_LM}; {@code base_model_name_or_path} is {@link LoraAdapter#META_BASE_NAME};
     * {@code lora_dropout} is {@link LoraAdapter#META_DROPOUT} (default 0).
     */
    public static void write(LoraAdapter adapter, Path folder, DecoderConfig base) throws IOException {
        Map<String, String> ggufToHf = new HashMap<>();
        GgufLayout.hfNames(base.layers()).forEach((hf, gguf) -> ggufToHf.put(gguf, hf));
        List<Tensor> tensors = new ArrayList<>();
        Map<String, LoraAdapter.Pair> byModule = new LinkedHashMap<>();
        adapter.pairs().forEach((gguf, p) -> {
            String module = module(ggufToHf, gguf);
            byModule.put(module, p);
            tensors.add(renamed(PREFIX + module + SUFFIX_A, p.a()));
            tensors.add(renamed(PREFIX + module + SUFFIX_B, GgufLayout.toHfRows(base, gguf, p.b())));
        });
        List<String> modulesToSave = new ArrayList<>();
        adapter.wholeTensors().forEach((name, t) -> {
            String hf = ggufToHf.getOrDefault(name, name);
            modulesToSave.add(hf.substring(0, hf.lastIndexOf('.') < 0 ? hf.length() : hf.lastIndexOf('.')));
            tensors.add(renamed(PREFIX + hf, GgufLayout.toHfRows(base, name, t)));
        });
        byte[] config = json(Config.toJson(adapter, byModule, modulesToSave));
        byte[] plinth = json(Provenance.toJson(adapter));
        AtomicFiles.writeFolder(folder, CONFIG, staging -> {
            SafetensorsWriter.write(staging.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
            AtomicFiles.write(staging.resolve(CONFIG), ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(config)));
            AtomicFiles.write(staging.resolve(PLINTH), ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(plinth)));
        });
    }

    private static String module(Map<String, String> ggufToHf, String gguf) {
        String hf = ggufToHf.get(gguf);
        if (hf == null || !hf.endsWith(".weight")) {
            throw new IllegalArgumentException("the adapter's pair " + gguf + " names no weight of the base");
        }
        return strip(hf, ".weight");
    }

    private static Tensor renamed(String name, Tensor t) {
        return new Tensor(name, t.dtype(), t.shape(), t.data());
    }

    private static byte[] json(JsonNode node) throws JsonProcessingException {
        return (JSON.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static JsonNode readJson(Path file) throws IOException {
        try {
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null || !root.isObject()) {
                throw new ModelFormatException(file, null, -1, "is not a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            long offset = e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
            throw new ModelFormatException(file, null, offset, "malformed JSON: " + e.getOriginalMessage());
        }
    }

    /** What Plinth reads from {@code adapter_config.json}. */
    private record Config(Path file, int r, float alpha, boolean rsLora, List<String> modulesToSave,
                          Map<String, Integer> rankPattern, Map<String, Float> alphaPattern,
                          Map<String, String> metadata) {

        static Config read(Path file) throws IOException {
            JsonNode root = readJson(file);
            if (!"LORA".equals(root.path("peft_type").asText(null))) {
                throw field(file, "peft_type", "is " + root.get("peft_type") + ", expected \"LORA\"");
            }
            if (root.path("use_dora").asBoolean(false)) {
                throw field(file, "use_dora", "is true: DoRA adapters are not supported");
            }
            JsonNode bias = root.path("bias");
            if (!bias.isMissingNode() && !bias.isNull() && !"none".equals(bias.asText())) {
                throw field(file, "bias", "is " + bias + ": only adapters without trained biases (\"none\") are supported");
            }
            int r = positiveInt(file, root, "r", 8);
            float alpha = number(file, root, "lora_alpha", 8);
            Map<String, Integer> ranks = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : fields(file, root, "rank_pattern")) {
                ranks.put(e.getKey(), positiveInt(file, e.getValue(), "rank_pattern." + e.getKey()));
            }
            Map<String, Float> alphas = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : fields(file, root, "alpha_pattern")) {
                alphas.put(e.getKey(), number(file, e.getValue(), "alpha_pattern." + e.getKey()));
            }
            List<String> save = new ArrayList<>();
            JsonNode modules = root.path("modules_to_save");
            if (modules.isArray()) {
                modules.forEach(m -> save.add(m.asText()));
            } else if (!modules.isMissingNode() && !modules.isNull()) {
                throw field(file, "modules_to_save", "is " + modules + ", not a list of module names");
            }
            return new Config(file, r, alpha, root.path("use_rslora").asBoolean(false), save, ranks, alphas,
                    metadata(root));
        }

        /** Provenance found in the config itself: the base's name, the task, the dropout. */
        private static Map<String, String> metadata(JsonNode root) {
            Map<String, String> m = new LinkedHashMap<>();
            if (root.path("base_model_name_or_path").isTextual()) {
                m.put(LoraAdapter.META_BASE_NAME, root.get("base_model_name_or_path").asText());
            }
            switch (root.path("task_type").asText("")) {
                case "SEQ_CLS" -> m.put(LoraAdapter.META_TASK, "classify");
                case "CAUSAL_LM" -> m.put(LoraAdapter.META_TASK, "causal");
                default -> { }
            }
            if (root.path("lora_dropout").isNumber()) {
                m.put(LoraAdapter.META_DROPOUT, Double.toString(root.get("lora_dropout").asDouble()));
            }
            return m;
        }

        boolean saves(String tensor) {
            int dot = tensor.lastIndexOf('.');
            String module = dot < 0 ? tensor : tensor.substring(0, dot);
            return modulesToSave.stream().anyMatch(m -> module.equals(m) || module.endsWith("." + m));
        }

        int rank(String module) throws ModelFormatException {
            String key = patternKey(rankPattern.keySet(), module);
            return key == null ? r : rankPattern.get(key);
        }

        float alpha(String module) throws ModelFormatException {
            String key = patternKey(alphaPattern.keySet(), module);
            return key == null ? alpha : alphaPattern.get(key);
        }

        /** PEFT's get_pattern_key: the first key for which {@code (.*\.)?(key)$} matches the whole module name. */
        private String patternKey(Iterable<String> keys, String module) throws ModelFormatException {
            for (String key : keys) {
                try {
                    if (Pattern.compile("(.*\\.)?(" + key + ")$").matcher(new Budget(module)).matches()) {
                        return key;
                    }
                } catch (PatternSyntaxException | IllegalStateException e) {
                    throw field(file, "rank_pattern/alpha_pattern", "key '" + key + "' is not a usable regular expression: "
                            + e.getMessage());
                }
            }
            return null;
        }

        static ObjectNode toJson(LoraAdapter adapter, Map<String, LoraAdapter.Pair> byModule, List<String> modulesToSave) {
            Map<String, Integer> ranks = new LinkedHashMap<>();
            Map<String, Double> alphas = new LinkedHashMap<>();
            byModule.forEach((module, p) -> {
                ranks.put(module, p.rank());
                alphas.put(module, peftAlpha(adapter, p));
            });
            int r = mostCommon(ranks.values(), 8);
            double alpha = mostCommon(alphas.values(), 8.0);
            Map<String, Object> n = new TreeMap<>(); // PEFT writes its keys sorted
            n.put("alpha_pattern", without(alphas, alpha));
            n.put("base_model_name_or_path", adapter.metadata().get(LoraAdapter.META_BASE_NAME));
            n.put("bias", "none");
            n.put("fan_in_fan_out", false);
            n.put("inference_mode", true);
            n.put("init_lora_weights", true);
            n.put("layers_pattern", null);
            n.put("layers_to_transform", null);
            n.put("lora_alpha", number(alpha));
            n.put("lora_dropout", Double.parseDouble(adapter.metadata().getOrDefault(LoraAdapter.META_DROPOUT, "0.0")));
            n.put("modules_to_save", modulesToSave.isEmpty() ? null : modulesToSave);
            n.put("peft_type", "LORA");
            n.put("r", r);
            n.put("rank_pattern", without(ranks, r));
            n.put("target_modules", byModule.keySet().stream().map(m -> m.substring(m.lastIndexOf('.') + 1))
                    .collect(Collectors.toCollection(TreeSet::new)));
            n.put("task_type", "classify".equals(adapter.metadata().get(LoraAdapter.META_TASK)) ? "SEQ_CLS" : "CAUSAL_LM");
            n.put("use_dora", false);
            n.put("use_rslora", adapter.rsLora());
            return JSON.valueToTree(n);
        }

        /** The PEFT alpha that gives {@code p} its scale: its own, or for "no alpha" the one that scales by 1. */
        private static double peftAlpha(LoraAdapter adapter, LoraAdapter.Pair p) {
            if (p.alpha() != 0) {
                return p.alpha();
            }
            return adapter.rsLora() ? Math.sqrt(p.rank()) : p.rank();
        }

        private static <T> T mostCommon(Iterable<T> values, T fallback) {
            Map<T, Integer> counts = new LinkedHashMap<>();
            values.forEach(v -> counts.merge(v, 1, Integer::sum));
            return counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(fallback);
        }

        private static <T> Map<String, Object> without(Map<String, T> byModule, T common) {
            Map<String, Object> out = new TreeMap<>();
            byModule.forEach((m, v) -> {
                if (!v.equals(common)) {
                    out.put(m, v instanceof Double d ? number(d) : v);
                }
            });
            return out;
        }

        /** An integral alpha as an int (as PEFT's own configs have it), any other as a decimal. */
        private static Object number(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1 << 30 ? (Object) (int) v : (Object) v;
        }

        private static List<Map.Entry<String, JsonNode>> fields(Path file, JsonNode root, String key)
                throws ModelFormatException {
            JsonNode n = root.path(key);
            if (n.isMissingNode() || n.isNull()) {
                return List.of();
            }
            if (!n.isObject()) {
                throw field(file, key, "is " + n + ", not an object of module patterns");
            }
            List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
            n.fields().forEachRemaining(out::add);
            return out;
        }

        private static int positiveInt(Path file, JsonNode root, String key, int fallback) throws ModelFormatException {
            JsonNode n = root.path(key);
            return n.isMissingNode() || n.isNull() ? fallback : positiveInt(file, n, key);
        }

        private static int positiveInt(Path file, JsonNode n, String key) throws ModelFormatException {
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
                throw field(file, key, "is " + n + ", not a positive integer");
            }
            return n.asInt();
        }

        private static float number(Path file, JsonNode root, String key, float fallback) throws ModelFormatException {
            JsonNode n = root.path(key);
            return n.isMissingNode() || n.isNull() ? fallback : number(file, n, key);
        }

        private static float number(Path file, JsonNode n, String key) throws ModelFormatException {
            if (!n.isNumber() || !Float.isFinite(n.floatValue())) {
                throw field(file, key, "is " + n + ", not a finite number");
            }
            return n.floatValue();
        }
    }

    /** The side file {@value #PLINTH}: the adapter's architecture and provenance. */
    private record Provenance(String architecture, Map<String, String> metadata) {

        static Provenance read(Path file) throws IOException {
            if (!Files.isRegularFile(file)) {
                return new Provenance(null, Map.of());
            }
            JsonNode root = readJson(file);
            JsonNode arch = root.path("architecture");
            if (!arch.isMissingNode() && !arch.isTextual()) {
                throw field(file, "architecture", "is " + arch + ", not a string");
            }
            Map<String, String> m = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : Config.fields(file, root, "metadata")) {
                if (!e.getValue().isTextual()) {
                    throw field(file, "metadata." + e.getKey(), "is " + e.getValue() + ", not a string");
                }
                m.put(e.getKey(), e.getValue().asText());
            }
            return new Provenance(arch.isTextual() ? arch.asText() : null, m);
        }

        static JsonNode toJson(LoraAdapter adapter) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("architecture", adapter.architecture());
            n.put("metadata", adapter.metadata());
            return JSON.valueToTree(n);
        }
    }

    private static ModelFormatException field(Path file, String field, String problem) {
        return new ModelFormatException(file, field, -1, problem);
    }

    /** A module name that refuses to be read more than {@link #PATTERN_BUDGET} times over: no regex runs away on it. */
    private static final class Budget implements CharSequence {
        private final String text;
        private final int[] reads;

        Budget(String text) {
            this(text, new int[1]);
        }

        private Budget(String text, int[] reads) {
            this.text = text;
            this.reads = reads;
        }

        @Override
        public char charAt(int index) {
            if (++reads[0] > PATTERN_BUDGET) {
                throw new IllegalStateException("matching takes too long");
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new Budget(text.substring(start, end), reads);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
