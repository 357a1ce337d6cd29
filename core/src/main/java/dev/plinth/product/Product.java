package dev.plinth.product;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.ModelRuntime;
import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
    /** Annotation of the knowledge layer: the knowledge base's name. */
    public static final String KNOWLEDGE_NAME = "dev.plinth.knowledge.name";
    /** Annotation of the audit layer: the digest of the product it examined. */
    static final String AUDIT_EXAMINED = "dev.plinth.audit.examined";
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

    /**
     * The digest that names this product in the lineage of products built on it: its digest as it
     * was before an audit added its layer (recorded on that layer), else its digest. An audit
     * examines a product without changing what it is, so its descendants still find it.
     */
    public Digest lineageDigest() {
        return manifest.layer(LayerType.AUDIT).map(d -> d.annotation(AUDIT_EXAMINED)).filter(a -> a != null)
                .map(Digest::parse).orElse(digest);
    }

    /** The audit layer's JSON, if an audit examined this product. */
    public Optional<JsonNode> audit() throws IOException {
        Optional<Descriptor> d = manifest.layer(LayerType.AUDIT);
        return d.isPresent() ? Optional.of(store.readJson(d.get())) : Optional.empty();
    }

    /**
     * Records an audit of this product as its audit layer (replacing an earlier one): the manifest is
     * rewritten with the layer, annotated with {@link #lineageDigest}, so the product's digest changes
     * and its lineage digest does not. Refused when the product changed since it was read.
     *
     * @return the product as the store now holds it
     */
    public Product withAudit(byte[] json) throws IOException {
        try (StoreLock ignored = store.writeLock()) {
            Product current = store.product(name);
            if (!current.digest().equals(digest)) {
                throw new ProductException(name + " changed while it was audited (now " + current.digest().shortHex()
                        + "); audit it again");
            }
            List<Descriptor> layers = new ArrayList<>(manifest.layers());
            layers.removeIf(d -> LayerType.of(d.mediaType()).orElse(null) == LayerType.AUDIT);
            layers.add(store.putBytes(LayerType.AUDIT.mediaType(), json)
                    .withAnnotations(Map.of(AUDIT_EXAMINED, lineageDigest().toString())));
            Manifest audited = new Manifest(manifest.schemaVersion(), manifest.mediaType(), manifest.config(), layers);
            store.putManifest(name, audited.toBytes());
            return store.product(name);
        }
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

    /** The knowledge layer (a tar of a knowledge base's index, see {@link LayerType#KNOWLEDGE}), if any. */
    public Optional<Descriptor> knowledge() {
        return manifest.layer(LayerType.KNOWLEDGE);
    }

    /** The knowledge layer's blob file, verified against its digest. */
    public Path knowledgeFile() throws IOException {
        Descriptor d = knowledge().orElseThrow(() -> new ProductException(name + " has no knowledge layer"));
        store.verify(d);
        return store.blobPath(d.digest());
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
     * Loads the product to run: verifies the weights' blob and each adapter's against their digests
     * (one read of each file), opens the weights memory-mapped from the blob with their own tokenizer
     * and chat template, and applies the product's adapters with their scales, then {@code extra}
     * ones (the command line's {@code --adapter}s) at run time.
     *
     * @throws CorruptBlobException when a blob does not match its digest
     */
    public ModelRuntime open(List<AppliedAdapter.Spec> extra) throws IOException {
        store.verify(weights());
        return withAdapterSpecs(specs -> {
            List<AppliedAdapter.Spec> all = new ArrayList<>(specs);
            all.addAll(extra);
            return ModelRuntime.open(weightsFile(), null, all);
        });
    }

    /**
     * Reads the product's adapters (each blob verified) for {@code base}, a runtime open on this
     * product's weights that other products on the same weights may share: a server maps one base
     * once and gives each sequence its product's adapters.
     */
    public List<AppliedAdapter> readAdapters(ModelRuntime base) throws IOException {
        return withAdapterSpecs(specs -> {
            List<AppliedAdapter> read = new ArrayList<>();
            for (AppliedAdapter.Spec spec : specs) {
                read.add(base.readAdapter(spec));
            }
            return List.copyOf(read);
        });
    }

    private interface AdapterUse<T> {
        T apply(List<AppliedAdapter.Spec> specs) throws IOException;
    }

    /** Gives {@code use} the adapters' specs (blobs verified), with PEFT folders linked for as long as it runs. */
    private <T> T withAdapterSpecs(AdapterUse<T> use) throws IOException {
        List<AppliedAdapter.Spec> specs = new ArrayList<>();
        List<Path> folders = new ArrayList<>();
        try {
            for (Adapter a : adapters()) {
                for (Descriptor d : a.layers()) {
                    store.verify(d);
                }
                specs.add(new AppliedAdapter.Spec(adapterPath(a, folders), a.scale()));
            }
            return use.apply(specs);
        } finally {
            for (Path folder : folders) {
                deleteLinks(folder);
            }
        }
    }

    /** {@link #open(List)} with the product's own adapters only. */
    public ModelRuntime open() throws IOException {
        return open(List.of());
    }

    /**
     * Where an adapter can be read: a LoRA GGUF is its blob; a PEFT adapter is a folder of files
     * with PEFT's names, so a temporary folder of links to the blobs (deleted once read) stands for it.
     */
    private static Path adapterPath(Adapter a, List<Path> folders) throws IOException {
        if (!a.format().equals("peft")) {
            return a.files().values().iterator().next();
        }
        Path folder = Files.createTempDirectory("plinth-adapter");
        folders.add(folder);
        for (Map.Entry<String, Path> f : a.files().entrySet()) {
            Files.createSymbolicLink(folder.resolve(f.getKey()), f.getValue().toAbsolutePath());
        }
        return folder;
    }

    private static void deleteLinks(Path folder) throws IOException {
        try (var links = Files.list(folder)) {
            for (Path link : links.toList()) {
                Files.deleteIfExists(link);
            }
        }
        Files.deleteIfExists(folder);
    }
}
