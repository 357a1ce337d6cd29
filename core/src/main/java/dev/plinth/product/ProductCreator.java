package dev.plinth.product;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code plinth create}: builds a product from a Plinthfile into the store. Under the store's lock:
 * the base of FROM is stored ({@link BaseSource}), each ADAPTER is checked and stored
 * ({@link AdapterSource}), the profile (the parent product's, under this Plinthfile's), licences,
 * description and lineage become layers, and the manifest is written last, atomically.
 *
 * <pre>{@code
 * Product p = ProductCreator.create(store, ProductName.parse("tutor"), Plinthfile.read(file), false, Listener.NONE);
 * }</pre>
 */
public final class ProductCreator {

    /** The stages of a create, in order. */
    public enum Step { BASE, ADAPTERS, KNOWLEDGE, PROFILE, AUDIT, MANIFEST }

    /** Hears each stage as it starts (progress for a user; a test may stop a create there). */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = (step, detail) -> { };

        void step(Step step, String detail) throws IOException;
    }

    /**
     * Checks a product before it is stored against its Plinthfile's AUDIT gates, by evaluating it
     * (the audit package supplies one).
     */
    @FunctionalInterface
    public interface Gatekeeper {
        /**
         * Evaluates {@code candidate} (not yet in the store; its blobs are) on the gates of
         * {@code plinthfile} and, for no-regression gates, {@code parent} (the product FROM names, or
         * null), and returns the audit layer's JSON to store with the product.
         *
         * @throws ProductException naming each gate that failed, with the values compared
         */
        byte[] check(Product candidate, Product parent, Plinthfile plinthfile) throws IOException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private ProductCreator() {
    }

    /**
     * Creates (or replaces) product {@code name} from {@code plinthfile}.
     *
     * @param force create even when an adapter records another base; the mismatch goes into the lineage
     * @throws PlinthfileException for what the Plinthfile names that is missing or does not fit, with its line and column
     */
    public static Product create(Store store, ProductName name, Plinthfile plinthfile, boolean force, Listener listener)
            throws IOException {
        return create(store, name, plinthfile, force, listener, KnowledgePacker.NONE, null);
    }

    /**
     * As {@link #create(Store, ProductName, Plinthfile, boolean, Listener)}, with {@code knowledge}
     * packing the knowledge base a KNOWLEDGE line names into the product's knowledge layer (without a
     * KNOWLEDGE line, a parent product's knowledge layer is kept).
     */
    public static Product create(Store store, ProductName name, Plinthfile plinthfile, boolean force, Listener listener,
                                 KnowledgePacker knowledge) throws IOException {
        return create(store, name, plinthfile, force, listener, knowledge, null);
    }

    /**
     * As {@link #create(Store, ProductName, Plinthfile, boolean, Listener, KnowledgePacker)}, checking the
     * Plinthfile's AUDIT gates with {@code gatekeeper} before the manifest is written: a product that
     * fails one is not stored (its blobs stay for {@code plinth prune}); one that passes them stores the
     * gatekeeper's audit as its audit layer.
     *
     * @param gatekeeper null when the caller cannot evaluate: a Plinthfile with AUDIT gates is then refused
     */
    public static Product create(Store store, ProductName name, Plinthfile plinthfile, boolean force, Listener listener,
                                 KnowledgePacker knowledge, Gatekeeper gatekeeper) throws IOException {
        if (gatekeeper == null && !plinthfile.gates().isEmpty()) {
            throw plinthfile.error(plinthfile.gates().getFirst().at(), "AUDIT gates need an evaluation: create the product "
                    + "with a Gatekeeper (plinth create does)");
        }
        try (StoreLock ignored = store.writeLock()) {
            BaseSource base = BaseSource.resolve(store, plinthfile, listener);
            GgufFacts facts = GgufFacts.read(store.blobPath(base.weights().digest()));

            List<Descriptor> layers = new ArrayList<>();
            layers.add(base.weights());
            layers.addAll(base.adapters());
            List<LineageNode> lineage = new ArrayList<>();
            lineage.add(base.node());
            int index = (int) base.adapters().stream().map(d -> d.annotation(Product.ADAPTER_INDEX)).distinct().count();
            AdapterSource.Base fit = new AdapterSource.Base(base.weights().digest(), facts);
            for (Plinthfile.Adapter a : plinthfile.adapters()) {
                listener.step(Step.ADAPTERS, "checking and storing the adapter " + a.path());
                AdapterSource.Stored stored = AdapterSource.store(store, plinthfile, a, index++, fit, force);
                layers.addAll(stored.layers());
                lineage.add(stored.node());
            }

            Descriptor knowledgeLayer = base.knowledge();
            if (plinthfile.knowledge().isPresent()) {
                Plinthfile.Knowledge k = plinthfile.knowledge().get();
                listener.step(Step.KNOWLEDGE, "packing and storing the knowledge base " + k.name());
                StoredKnowledge stored = storeKnowledge(store, plinthfile, k, knowledge);
                knowledgeLayer = stored.layer();
                lineage.add(new LineageNode("knowledge", "lucene", k.name(), knowledgeLayer.digest().toString(), null,
                        stored.details(), List.of()));
            }
            if (knowledgeLayer != null) {
                layers.add(knowledgeLayer);
            }

            listener.step(Step.PROFILE, "storing the profile");
            Profile profile = base.profile().overriddenBy(plinthfile.profile());
            layers.addAll(profileLayers(store, profile));
            List<String> licenses = plinthfile.licenses().isEmpty() ? base.licenses() : plinthfile.licenses();
            for (String license : licenses) {
                layers.add(putText(store, LayerType.LICENSE, license));
            }
            String description = plinthfile.description() != null ? plinthfile.description() : base.description();
            if (description != null) {
                layers.add(putText(store, LayerType.DESCRIPTION, description));
            }
            layers.add(store.putBytes(LayerType.LINEAGE.mediaType(), Lineage.toBytes(lineage)));
            Descriptor config = config(store, facts.architecture(), base.label());

            Manifest manifest = Manifest.of(config, layers);
            if (!plinthfile.gates().isEmpty()) {
                listener.step(Step.AUDIT, "checking " + plinthfile.gates().size() + " AUDIT gate(s)");
                byte[] bytes = manifest.toBytes();
                Product candidate = new Product(store, name, Digest.of(bytes), manifest);
                byte[] audit = gatekeeper.check(candidate, BaseSource.parentProduct(store, plinthfile), plinthfile);
                layers.add(store.putBytes(LayerType.AUDIT.mediaType(), audit)
                        .withAnnotations(Map.of(Product.AUDIT_EXAMINED, candidate.digest().toString())));
                manifest = Manifest.of(config, layers);
            }
            listener.step(Step.MANIFEST, "writing the manifest of " + name);
            store.putManifest(name, manifest.toBytes());
            return store.product(name);
        }
    }

    private record StoredKnowledge(Descriptor layer, Map<String, Object> details) {
    }

    /** Packs the knowledge base into a scratch file and moves it into the store, annotated with its name. */
    private static StoredKnowledge storeKnowledge(Store store, Plinthfile plinthfile, Plinthfile.Knowledge k,
                                                  KnowledgePacker packer) throws IOException {
        try (Store.Scratch scratch = store.newScratch()) {
            KnowledgePacker.Packed packed;
            try {
                packed = packer.pack(k.name(), scratch.file("knowledge").getParent());
            } catch (ProductException e) {
                throw plinthfile.error(k.at(), e.getMessage());
            }
            Descriptor d = store.putFile(LayerType.KNOWLEDGE.mediaType(), packed.file(), Store.Placement.MOVE)
                    .withAnnotations(Map.of(Product.KNOWLEDGE_NAME, k.name()));
            return new StoredKnowledge(d, packed.details());
        }
    }

    /** The config blob: {@code {"format": "gguf", "architecture": ..., "base": ...}}. */
    static Descriptor config(Store store, String architecture, String baseLabel) throws IOException {
        ObjectNode config = JSON.createObjectNode();
        config.put("format", "gguf");
        config.put("architecture", architecture);
        config.put("base", baseLabel);
        return store.putBytes(LayerType.CONFIG_MEDIA_TYPE, JSON.writeValueAsBytes(config));
    }

    /** The layers of a profile: template, system prompt, few-shot turns, parameters (each only when set). */
    static List<Descriptor> profileLayers(Store store, Profile profile) throws IOException {
        List<Descriptor> layers = new ArrayList<>();
        if (profile.template() != null) {
            Descriptor t = putText(store, LayerType.TEMPLATE, profile.template());
            layers.add(profile.templateSyntax().equals(Profile.JINJA) ? t
                    : t.withAnnotations(Map.of(Product.TEMPLATE_SYNTAX, profile.templateSyntax())));
        }
        if (profile.system() != null) {
            layers.add(putText(store, LayerType.SYSTEM, profile.system()));
        }
        if (!profile.messages().isEmpty()) {
            ArrayNode turns = JSON.createArrayNode();
            for (ChatMessage m : profile.messages()) {
                turns.addObject().put("role", m.role()).put("content", m.content());
            }
            layers.add(store.putBytes(LayerType.MESSAGES.mediaType(), JSON.writeValueAsBytes(turns)));
        }
        if (!profile.parameters().isEmpty()) {
            layers.add(store.putBytes(LayerType.PARAMS.mediaType(), JSON.writeValueAsBytes(profile.parameters().toJson())));
        }
        return layers;
    }

    static Descriptor putText(Store store, LayerType type, String text) throws IOException {
        return store.putBytes(type.mediaType(), text.getBytes(StandardCharsets.UTF_8));
    }
}
