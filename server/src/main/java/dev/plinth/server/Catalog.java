package dev.plinth.server;

import dev.plinth.api.TextEmbedder;
import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.knowledge.Grounding;
import dev.plinth.knowledge.ProductKnowledge;
import dev.plinth.knowledge.SearchMode;
import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.ModelRuntime;
import dev.plinth.product.LineageNode;
import dev.plinth.product.Product;
import dev.plinth.product.ProductName;
import dev.plinth.product.Profile;
import dev.plinth.product.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The models the server serves, and the bases under them: products of the store on the same
 * weights share one {@link DecoderBase} (one mapped copy, one scheduler). With {@code --all} the
 * store is read again when a request names a product the server does not have yet, and when a
 * client lists the models (at most once a second): a product created while the server runs is
 * served without a restart, and one re-created under its name is reloaded.
 */
final class Catalog implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Catalog.class.getName());
    private static final long REFRESH_NANOS = 1_000_000_000L;

    private final ServerConfig config;
    private final Store store;
    private final Metrics metrics;
    private final Map<String, ServedModel> models = new LinkedHashMap<>();
    private final Map<String, DecoderBase> bases = new HashMap<>();
    private final Map<String, String> failed = new HashMap<>();
    /** Knowledge of products replaced or removed while serving: closed with the catalog, since a request may still be grounding with it. */
    private final List<Knowledge> retiredKnowledge = new ArrayList<>();
    private long lastRefresh;

    Catalog(ServerConfig config, Metrics metrics) throws IOException {
        this.config = config;
        this.metrics = metrics;
        this.store = config.store() == null ? null : Store.open(config.store());
        for (Path file : config.modelFiles()) {
            ServedModel m = loadFile(file);
            models.put(m.id(), m);
        }
        if (store != null) {
            for (String name : config.products()) {
                ProductName parsed = ProductName.parse(name);
                models.put(parsed.toString(), loadProduct(store.product(parsed)));
            }
        }
        refresh(true);
    }

    /** The models served now, in a stable order. */
    synchronized List<ServedModel> models() {
        refresh(false);
        return List.copyOf(models.values());
    }

    /** The model {@code id} names ({@code name} alone is {@code name:latest}). */
    synchronized Optional<ServedModel> find(String id) {
        Optional<ServedModel> m = lookup(id);
        if (m.isEmpty() && inStore(id)) {
            refresh(true);
            m = lookup(id);
        }
        return m;
    }

    /** Whether the store has a product {@code id} names (one file lookup: unknown ids cost no scan). */
    private boolean inStore(String id) {
        return store != null && config.allProducts() && ProductName.isValid(id) && store.contains(ProductName.parse(id));
    }

    /** The store's product a served model is, or empty for a model file. */
    Optional<Product> product(ServedModel model) throws IOException {
        if (store == null || !model.digest().startsWith("sha256:")) {
            return Optional.empty();
        }
        return Optional.of(store.product(ProductName.parse(model.id())));
    }

    synchronized List<DecoderBase> bases() {
        return List.copyOf(bases.values());
    }

    private Optional<ServedModel> lookup(String id) {
        ServedModel m = models.get(id);
        return Optional.ofNullable(m != null ? m : models.get(ProductIds.canonical(id)));
    }

    /** Loads products that appeared or changed in the store and forgets removed ones (with {@code --all}). */
    private void refresh(boolean force) {
        if (store == null || !config.allProducts() || (!force && System.nanoTime() - lastRefresh < REFRESH_NANOS)) {
            return;
        }
        lastRefresh = System.nanoTime();
        List<Store.Listing> listing;
        try {
            listing = store.list();
        } catch (IOException | UncheckedIOException e) {
            LOG.log(Level.WARNING, "could not read the product store " + store.root(), e);
            return;
        }
        Map<String, String> present = new HashMap<>();
        for (Store.Listing row : listing) {
            String id = row.name().toString();
            String digest = row.digest().toString();
            present.put(id, digest);
            ServedModel known = models.get(id);
            if ((known != null && known.digest().equals(digest)) || digest.equals(failed.get(id))) {
                continue;
            }
            try {
                retire(models.put(id, loadProduct(store.product(row.name()))));
                failed.remove(id);
            } catch (IOException | RuntimeException e) {
                failed.put(id, digest);
                LOG.log(Level.WARNING, "not serving " + id + ": " + e.getMessage(), e);
            }
        }
        models.entrySet().removeIf(e -> {
            boolean gone = e.getValue().digest().startsWith("sha256:") && !present.containsKey(e.getKey());
            if (gone) {
                retire(e.getValue());
            }
            return gone;
        });
    }

    private void retire(ServedModel replaced) {
        if (replaced != null && replaced.knowledge() != null) {
            retiredKnowledge.add(replaced.knowledge());
        }
    }

    private ServedModel loadProduct(Product product) throws IOException {
        String weights = product.weights().digest().toString();
        DecoderBase base = bases.get(weights);
        if (base == null) {
            store.verify(product.weights());
            base = openBase(weights, product.weightsFile());
        }
        List<AppliedAdapter> adapters = named(product, product.readAdapters(base.runtime()));
        long created = store.list().stream().filter(l -> l.name().equals(product.name())).findFirst()
                .map(l -> l.modified().toMillis() / 1000).orElse(System.currentTimeMillis() / 1000);
        Knowledge knowledge = product.knowledge().isEmpty() ? null : new KnowledgeGrounding(
                ProductKnowledge.open(product, store.root(), null, Grounding.DEFAULT_K, SearchMode.HYBRID));
        return new ServedModel(product.name().toString(), product.digest().toString(), parentOf(product.lineage()),
                weights, created, product.profile(), adapters, base, null, new ServedModel.Prompts(), knowledge);
    }

    /** The adapters under the names their files had (the blobs are named by digest). */
    private static List<AppliedAdapter> named(Product product, List<AppliedAdapter> read) {
        List<Product.Adapter> layers = product.adapters();
        List<AppliedAdapter> out = new ArrayList<>();
        for (int i = 0; i < read.size(); i++) {
            AppliedAdapter a = read.get(i);
            String title = i < layers.size() ? String.join("+", layers.get(i).files().keySet()) : a.name();
            out.add(new AppliedAdapter(title, a.adapter(), a.scale()));
        }
        return out;
    }

    /** The product this one was created FROM, if any. */
    private static String parentOf(List<LineageNode> lineage) {
        for (LineageNode node : lineage) {
            if (node.role().equals("from") && node.kind().equals("product") && node.name() != null) {
                return node.name();
            }
        }
        return null;
    }

    private ServedModel loadFile(Path file) throws IOException {
        String id = idOf(file);
        String key = file.toAbsolutePath().normalize().toString();
        long created = Files.getLastModifiedTime(file).toMillis() / 1000;
        if (isEncoder(file)) {
            return new ServedModel(id, key, null, key, created, Profile.NONE, List.of(), null, TextEmbedder.open(file), null,
                    null);
        }
        DecoderBase base = bases.get(key);
        if (base == null) {
            base = openBase(key, file);
        }
        return new ServedModel(id, key, null, key, created, Profile.NONE, List.of(), base, null, new ServedModel.Prompts(),
                null);
    }

    private DecoderBase openBase(String key, Path weights) throws IOException {
        ModelRuntime runtime = ModelRuntime.open(weights, null);
        String name = key.startsWith("sha256:") ? key.substring(7, 19) : idOf(weights);
        Scheduler scheduler = new Scheduler(runtime.model(), name, config.maxBatch(), config.maxQueue(), config.kvBudget(),
                metrics);
        DecoderBase base = new DecoderBase(key, runtime, scheduler);
        bases.put(key, base);
        return base;
    }

    /** A file's id: its name without the extension, or the folder's name. */
    static String idOf(Path file) {
        String name = file.toAbsolutePath().normalize().getFileName().toString();
        int dot = name.lastIndexOf('.');
        return Files.isDirectory(file) || dot <= 0 ? name : name.substring(0, dot);
    }

    /** Whether a model file or folder is a BERT-family encoder rather than a decoder. */
    static boolean isEncoder(Path file) throws IOException {
        String architecture;
        if (Files.isDirectory(file)) {
            Path config = file.resolve("config.json");
            if (!Files.isRegularFile(config)) {
                return false;
            }
            JsonNode json = Json.MAPPER.readTree(config.toFile());
            architecture = json.path("model_type").asText("");
        } else if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            try (GgufFile gguf = GgufFile.open(file)) {
                architecture = gguf.getString("general.architecture", "");
            }
        } else {
            return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
        }
        return architecture.toLowerCase(Locale.ROOT).contains("bert");
    }

    @Override
    public synchronized void close() {
        List<AutoCloseable> all = new ArrayList<>(bases.values());
        models.values().stream().filter(m -> m.encoder() != null).forEach(m -> all.add(m.encoder()));
        models.values().stream().filter(m -> m.knowledge() != null).forEach(m -> all.add(m.knowledge()));
        all.addAll(retiredKnowledge);
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "closing " + c, e);
            }
        }
        bases.clear();
        models.clear();
    }
}
