package dev.plinth.product;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.model.ModelRuntime;
import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A product as the store holds it: its name, its digest (of its manifest), and the layers read from
 * their blobs. {@link #open} loads it to run: the base's weights memory-mapped straight from their
 * blob after it is verified against its digest.
 *
 * <pre>{@code
 * Product tutor = Store.open(Store.defaultRoot(System.getenv())).product(ProductName.parse("tutor"));
 * try (ModelRuntime rt = tutor.open()) {
 *     Profile profile = tutor.profile();   // system prompt, few-shot turns, template, parameters
 *     ...
 * }
 * }</pre>
 */
public final class Product {

    /** Annotation keys of adapter layers. */
    static final String ADAPTER_INDEX = "dev.plinth.adapter.index";
    static final String ADAPTER_SCALE = "dev.plinth.adapter.scale";
    static final String ADAPTER_FORMAT = "dev.plinth.adapter.format";
    /** The OCI annotation for a file's name (ORAS writes the file under it). */
    static final String TITLE = "org.opencontainers.image.title";
    /** Annotation of a template layer that holds an Ollama (Go) template. */
    static final String TEMPLATE_SYNTAX = "dev.plinth.template.syntax";

    /** One adapter: its layers' files by name, its format ({@code peft} or {@code gguf}) and scale. */
    public record Adapter(int index, String format, float scale, Map<String, Path> files, List<Descriptor> layers) {
    }

    private final Store store;
    private final ProductName name;
    private final Digest digest;
    private final Manifest manifest;

    Product(Store store, ProductName name, Digest digest, Manifest manifest) {
        this.store = store;
        this.name = name;
        this.digest = digest;
        this.manifest = manifest;
    }

    public ProductName name() {
        return name;
    }

    /** The SHA-256 of the manifest's bytes. */
    public Digest digest() {
        return digest;
    }

    public Manifest manifest() {
        return manifest;
    }

    public Store store() {
        return store;
    }

    /** The weights layer (a GGUF blob). */
    public Descriptor weights() {
        return manifest.layer(LayerType.WEIGHTS).orElseThrow(() -> new ProductException(name + " has no weights layer"));
    }

    /** The weights' blob file (a GGUF file). */
    public Path weightsFile() {
        return store.blobPath(weights().digest());
    }

    /** The adapters, in order. */
    public List<Adapter> adapters() {
        Map<Integer, List<Descriptor>> byIndex = new LinkedHashMap<>();
        for (Descriptor d : manifest.layers(LayerType.ADAPTER)) {
            byIndex.computeIfAbsent(Integer.parseInt(d.annotations().getOrDefault(ADAPTER_INDEX, "0")), i -> new ArrayList<>()).add(d);
        }
        List<Adapter> adapters = new ArrayList<>();
        byIndex.forEach((index, layers) -> {
            Map<String, Path> files = new LinkedHashMap<>();
            layers.forEach(d -> files.put(d.annotations().getOrDefault(TITLE, d.digest().fileName()), store.blobPath(d.digest())));
            Descriptor first = layers.getFirst();
            adapters.add(new Adapter(index, first.annotations().getOrDefault(ADAPTER_FORMAT, "gguf"),
                    Float.parseFloat(first.annotations().getOrDefault(ADAPTER_SCALE, "1")), files, layers));
        });
        return adapters;
    }

    /** The profile: system prompt, few-shot turns, template and parameters (each blob verified as it is read). */
    public Profile profile() throws IOException {
        String system = text(LayerType.SYSTEM);
        List<ChatMessage> messages = new ArrayList<>();
        Optional<Descriptor> m = manifest.layer(LayerType.MESSAGES);
        if (m.isPresent()) {
            for (JsonNode turn : store.readJson(m.get())) {
                messages.add(new ChatMessage(turn.path("role").asText(), turn.path("content").asText()));
            }
        }
        Optional<Descriptor> t = manifest.layer(LayerType.TEMPLATE);
        String template = text(LayerType.TEMPLATE);
        String syntax = t.map(d -> d.annotations().getOrDefault(TEMPLATE_SYNTAX, Profile.JINJA)).orElse(Profile.JINJA);
        Parameters parameters = Parameters.NONE;
        Optional<Descriptor> p = manifest.layer(LayerType.PARAMS);
        if (p.isPresent()) {
            Map<String, Object> json = new LinkedHashMap<>();
            store.readJson(p.get()).properties().forEach(e -> json.put(e.getKey(), plain(e.getValue())));
            try {
                parameters = Parameters.fromJson(json);
            } catch (IllegalArgumentException e) {
                throw new ProductException(name + ": params layer: " + e.getMessage());
            }
        }
        return new Profile(system, messages, template, syntax, parameters);
    }

    private static Object plain(JsonNode v) {
        if (v.isArray()) {
            List<Object> items = new ArrayList<>();
            v.forEach(item -> items.add(item.asText()));
            return items;
        }
        return v.asText();
    }

    private String text(LayerType type) throws IOException {
        Optional<Descriptor> d = manifest.layer(type);
        return d.isPresent() ? new String(store.readBlob(d.get()), StandardCharsets.UTF_8) : null;
    }

    /** The licence texts. */
    public List<String> licenses() throws IOException {
        List<String> texts = new ArrayList<>();
        for (Descriptor d : manifest.layers(LayerType.LICENSE)) {
            texts.add(new String(store.readBlob(d), StandardCharsets.UTF_8));
        }
        return texts;
    }

    /** The description, if any. */
    public Optional<String> description() throws IOException {
        return Optional.ofNullable(text(LayerType.DESCRIPTION));
    }

    /** The parents recorded in the lineage layer. */
    public List<LineageNode> lineage() throws IOException {
        Optional<Descriptor> d = manifest.layer(LayerType.LINEAGE);
        return d.isPresent() ? Lineage.parse(store.readBlob(d.get()), name + " lineage") : List.of();
    }

    /** The config blob's JSON: format, architecture and a one-line base label. */
    public JsonNode config() throws IOException {
        return store.readJson(manifest.config());
    }

    /** What the product stands on, in a few words (the config's {@code base}). */
    public String baseLabel() throws IOException {
        return config().path("base").asText("");
    }

    /** The bytes of its blobs, each counted once. */
    public long size() {
        Set<Digest> seen = new HashSet<>();
        long total = 0;
        for (Descriptor d : manifest.blobs()) {
            if (seen.add(d.digest())) {
                total += d.size();
            }
        }
        return total;
    }

    /**
     * Loads the product's base to run: checks that it has no adapter (adapters are not applied yet),
     * verifies the weights' blob against its digest (one read of the file), and opens it, memory-mapped
     * from the blob, with its own tokenizer and chat template.
     *
     * @throws CorruptBlobException when the weights do not match their digest
     */
    public ModelRuntime open() throws IOException {
        List<Adapter> adapters = adapters();
        if (!adapters.isEmpty()) {
            throw new ProductException(name + " has " + adapters.size() + " adapter" + (adapters.size() == 1 ? "" : "s")
                    + ", and adapters are not applied yet (LoRA at run time comes with the adaptation work); "
                    + "run a product without ADAPTER lines meanwhile");
        }
        store.verify(weights());
        return ModelRuntime.open(weightsFile(), null);
    }
}
