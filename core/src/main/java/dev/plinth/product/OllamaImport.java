package dev.plinth.product;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Registers the models of an Ollama store ({@code $OLLAMA_MODELS}, default {@code ~/.ollama/models})
 * as products. Every manifest at {@code manifests/<host>/<namespace>/<model>/<tag>} becomes product
 * {@code model:tag} ({@code namespace/model:tag} when the namespace is not {@code library}). The
 * weights are shared with Ollama's blob: a hard link, or on another file system a symbolic link
 * (the lineage records the reference), verified against the digest either way. Ollama's
 * {@code system}, {@code params}, {@code messages}, {@code license} and {@code adapter} layers map
 * to Plinth's; its {@code template} is a Go template, kept as text (annotated as such) while the
 * product runs with the GGUF's own {@code tokenizer.chat_template}.
 */
public final class OllamaImport {

    private static final String OLLAMA = "application/vnd.ollama.image.";
    private static final Set<String> ROLES = Set.of("system", "user", "assistant");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A model registered, with what did not carry over. */
    public record Imported(String source, ProductName name, Digest digest, boolean referenced, List<String> notes) {
    }

    /** A model left out, and why. */
    public record Skipped(String source, String reason) {
    }

    public record Result(List<Imported> imported, List<Skipped> skipped) {
    }

    private final Store store;
    private final Path root;
    private final Store.Placement placement;

    private OllamaImport(Store store, Path root, Store.Placement placement) {
        this.store = store;
        this.root = root;
        this.placement = placement;
    }

    /** {@code OLLAMA_MODELS} from {@code environment}, else {@code ~/.ollama/models}. */
    public static Path defaultRoot(Map<String, String> environment) {
        String models = environment.get("OLLAMA_MODELS");
        if (models != null && !models.isBlank()) {
            return Path.of(models);
        }
        return Path.of(System.getProperty("user.home"), ".ollama", "models");
    }

    /** Imports every model of the Ollama store at {@code root}, the weights linked or else referenced. */
    public static Result run(Store store, Path root) throws IOException {
        return run(store, root, Store.Placement.LINK_OR_REFERENCE);
    }

    /** As {@link #run(Store, Path)}, the weights placed as {@code placement} says. */
    static Result run(Store store, Path root, Store.Placement placement) throws IOException {
        Path manifests = root.resolve("manifests");
        if (!Files.isDirectory(manifests) || !Files.isDirectory(root.resolve("blobs"))) {
            throw new ProductException(root + " is not an Ollama model store (it needs manifests/ and blobs/)");
        }
        OllamaImport run = new OllamaImport(store, root, placement);
        List<Imported> imported = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        try (StoreLock ignored = store.writeLock(); Stream<Path> files = Files.walk(manifests, 4)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                Path relative = manifests.relativize(file);
                String source = relative.toString().replace('\\', '/');
                if (relative.getNameCount() != 4) {
                    skipped.add(new Skipped(source, "not at manifests/<host>/<namespace>/<model>/<tag>"));
                    continue;
                }
                try {
                    imported.add(run.importModel(file, relative, source));
                } catch (ProductException | IllegalArgumentException e) {
                    skipped.add(new Skipped(source, e.getMessage()));
                }
            }
        }
        return new Result(imported, skipped);
    }

    private Imported importModel(Path file, Path relative, String source) throws IOException {
        String namespace = relative.getName(1).toString();
        String model = relative.getName(2).toString();
        ProductName name = new ProductName(namespace.equals("library") ? model : namespace + "/" + model,
                relative.getName(3).toString());
        byte[] bytes = Files.readAllBytes(file);
        Manifest ollama = Manifest.parse(bytes, file.toString());
        List<String> notes = new ArrayList<>();

        Descriptor weightsLayer = null;
        List<Descriptor> adapters = new ArrayList<>();
        String system = null;
        String template = null;
        Parameters parameters = Parameters.NONE;
        List<ChatMessage> messages = new ArrayList<>();
        List<String> licenses = new ArrayList<>();
        for (Descriptor d : ollama.layers()) {
            String type = d.mediaType().startsWith(OLLAMA) ? d.mediaType().substring(OLLAMA.length()) : d.mediaType();
            switch (type) {
                case "model" -> {
                    if (weightsLayer != null) {
                        throw new ProductException("it has more than one model layer");
                    }
                    weightsLayer = d;
                }
                case "projector" -> throw new ProductException("it has a multimodal projector, which Plinth does not run");
                case "adapter" -> adapters.add(d);
                case "system" -> system = text(d);
                case "template" -> template = text(d);
                case "license" -> licenses.add(text(d));
                case "params" -> parameters = parameters(d, notes);
                case "messages" -> messages.addAll(messages(d, notes));
                default -> notes.add("layer " + d.mediaType() + " left out");
            }
        }
        if (weightsLayer == null) {
            throw new ProductException("it has no model layer");
        }
        Descriptor weights = store.putFile(LayerType.WEIGHTS.mediaType(), blob(weightsLayer.digest()), placement, weightsLayer.digest());
        boolean referenced = Files.isSymbolicLink(store.blobPath(weights.digest()));
        GgufFacts facts = GgufFacts.read(store.blobPath(weights.digest()));

        List<Descriptor> layers = new ArrayList<>();
        layers.add(weights);
        List<LineageNode> adapterNodes = new ArrayList<>();
        for (int i = 0; i < adapters.size(); i++) {
            Descriptor a = store.putFile(LayerType.ADAPTER.mediaType(), blob(adapters.get(i).digest()), Store.Placement.COPY,
                    adapters.get(i).digest());
            layers.add(a.withAnnotations(Map.of(Product.ADAPTER_INDEX, Integer.toString(i), Product.ADAPTER_SCALE, "1.0",
                    Product.ADAPTER_FORMAT, "gguf", Product.TITLE, "adapter-" + i + ".gguf")));
            adapterNodes.add(LineageNode.of("adapter", "lora-gguf", a.digest(), blob(a.digest()).toString()));
        }
        layers.addAll(ProductCreator.profileLayers(store, new Profile(system, messages, template, Profile.GO, parameters)));
        for (String license : licenses) {
            layers.add(ProductCreator.putText(store, LayerType.LICENSE, license));
        }
        List<LineageNode> lineage = new ArrayList<>();
        lineage.add(baseNode(source, file, Digest.of(bytes), ollama, weights, referenced, facts));
        lineage.addAll(adapterNodes);
        layers.add(store.putBytes(LayerType.LINEAGE.mediaType(), Lineage.toBytes(lineage)));
        Descriptor config = ProductCreator.config(store, facts.architecture(), "ollama " + source);
        store.putManifest(name, Manifest.of(config, layers).toBytes());
        if (template != null) {
            notes.add("its Go template is kept as text; it runs with the GGUF's tokenizer.chat_template");
        }
        return new Imported(source, name, store.product(name).digest(), referenced, notes);
    }

    /** The Ollama model's node: its manifest's digest and Ollama's config facts, over the GGUF's node. */
    private LineageNode baseNode(String source, Path manifestFile, Digest manifestDigest, Manifest ollama,
                                 Descriptor weights, boolean referenced, GgufFacts facts) throws IOException {
        Map<String, Object> details = new TreeMap<>();
        JsonNode config = json(ollama.config());
        for (String key : List.of("model_format", "model_family", "model_type", "file_type")) {
            if (config.hasNonNull(key)) {
                details.put(key, config.get(key).asText());
            }
        }
        Path weightsBlob = blob(weights.digest());
        LineageNode gguf = BaseSource.ggufNode("weights", weights.digest(), weightsBlob, facts);
        if (referenced) {
            gguf = gguf.withDetails(Map.of("reference", weightsBlob.toAbsolutePath().normalize().toString()));
        }
        return new LineageNode("base", "ollama", source, manifestDigest.toString(), manifestFile.toAbsolutePath().normalize().toString(),
                details, List.of(gguf));
    }

    private Path blob(Digest d) {
        return root.resolve("blobs").resolve(d.fileName());
    }

    /** An Ollama blob's bytes, checked against its digest. */
    private byte[] bytes(Descriptor d) throws IOException {
        Path file = blob(d.digest());
        if (!Files.isRegularFile(file)) {
            throw new CorruptBlobException(d.digest(), file, "is missing");
        }
        byte[] bytes = Files.readAllBytes(file);
        if (!Digest.of(bytes).equals(d.digest())) {
            throw CorruptBlobException.mismatch(d.digest(), file, Digest.of(bytes));
        }
        return bytes;
    }

    private String text(Descriptor d) throws IOException {
        return new String(bytes(d), StandardCharsets.UTF_8);
    }

    private JsonNode json(Descriptor d) throws IOException {
        return JSON.readTree(bytes(d));
    }

    /** Ollama's params object: its {@code num_predict} is {@code max_tokens}; what Plinth does not take is noted and left out. */
    private Parameters parameters(Descriptor d, List<String> notes) throws IOException {
        Parameters p = Parameters.NONE;
        Map<String, Object> leftOut = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : json(d).properties()) {
            String key = e.getKey().equals("num_predict") ? Parameters.Key.MAX_TOKENS.key() : e.getKey();
            List<JsonNode> values = new ArrayList<>();
            if (e.getValue().isArray()) {
                e.getValue().forEach(values::add);
            } else {
                values.add(e.getValue());
            }
            try {
                Parameters.Key k = Parameters.Key.of(key).orElseThrow(() -> new IllegalArgumentException("not a Plinth parameter"));
                for (JsonNode v : values) {
                    p = p.with(k, v.asText());
                }
            } catch (IllegalArgumentException ex) {
                leftOut.put(e.getKey(), ex.getMessage());
            }
        }
        leftOut.forEach((k, why) -> notes.add("parameter " + k + " left out (" + why + ")"));
        return p;
    }

    private List<ChatMessage> messages(Descriptor d, List<String> notes) throws IOException {
        List<ChatMessage> turns = new ArrayList<>();
        for (JsonNode m : json(d)) {
            String role = m.path("role").asText();
            if (ROLES.contains(role)) {
                turns.add(new ChatMessage(role, m.path("content").asText()));
            } else {
                notes.add("message with role '" + role + "' left out");
            }
        }
        return turns;
    }
}
