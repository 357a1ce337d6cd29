package dev.plinth.product;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A product's manifest in the shape Ollama and OCI registries use: {@code schemaVersion} 2, the
 * manifest's {@code mediaType}, a {@code config} descriptor and typed {@code layers}. A product's
 * digest is the SHA-256 of its manifest's bytes, so the bytes are kept as written: {@link #toBytes}
 * writes compact JSON with the keys in that order, and a manifest read from elsewhere keeps its own.
 */
public record Manifest(int schemaVersion, String mediaType, Descriptor config, List<Descriptor> layers) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public Manifest {
        layers = List.copyOf(layers);
    }

    /** A new Plinth manifest over these layers. */
    public static Manifest of(Descriptor config, List<Descriptor> layers) {
        return new Manifest(2, LayerType.MANIFEST_MEDIA_TYPE, config, layers);
    }

    public byte[] toBytes() {
        ObjectNode root = JSON.createObjectNode();
        root.put("schemaVersion", schemaVersion);
        root.put("mediaType", mediaType);
        root.set("config", descriptor(config));
        ArrayNode array = root.putArray("layers");
        layers.forEach(l -> array.add(descriptor(l)));
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode descriptor(Descriptor d) {
        ObjectNode n = JSON.createObjectNode();
        n.put("mediaType", d.mediaType());
        n.put("digest", d.digest().toString());
        n.put("size", d.size());
        if (!d.annotations().isEmpty()) {
            ObjectNode a = n.putObject("annotations");
            d.annotations().forEach(a::put);
        }
        return n;
    }

    /**
     * Reads a manifest (Plinth's, OCI's or Ollama's); {@code source} names it in errors. Fields other
     * than those above are ignored.
     */
    public static Manifest parse(byte[] bytes, String source) {
        try {
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !root.isObject() || !root.path("config").isObject() || !root.path("layers").isArray()) {
                throw new ProductException(source + ": not a manifest (needs a config object and a layers array)");
            }
            List<Descriptor> layers = new ArrayList<>();
            for (JsonNode l : root.get("layers")) {
                layers.add(descriptor(l, source));
            }
            return new Manifest(root.path("schemaVersion").asInt(2), root.path("mediaType").asText(""),
                    descriptor(root.get("config"), source), layers);
        } catch (JsonProcessingException e) {
            throw new ProductException(source + ": not a manifest (malformed JSON: " + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new ProductException(source + ": not a manifest (" + e.getMessage() + ")", e);
        }
    }

    private static Descriptor descriptor(JsonNode n, String source) {
        try {
            Map<String, String> annotations = new LinkedHashMap<>();
            n.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()));
            if (!n.path("size").canConvertToLong()) {
                throw new IllegalArgumentException("a descriptor has no whole-number size");
            }
            return new Descriptor(n.path("mediaType").asText(""), Digest.parse(n.path("digest").asText(null)),
                    n.path("size").asLong(), annotations);
        } catch (IllegalArgumentException e) {
            throw new ProductException(source + ": " + e.getMessage());
        }
    }

    /** The layers of one type, in manifest order. */
    public List<Descriptor> layers(LayerType type) {
        return layers.stream().filter(l -> l.mediaType().equals(type.mediaType())).toList();
    }

    /** The first layer of a type. */
    public Optional<Descriptor> layer(LayerType type) {
        return layers(type).stream().findFirst();
    }

    /** The config and every layer: the blobs the manifest references. */
    public List<Descriptor> blobs() {
        List<Descriptor> all = new ArrayList<>(layers.size() + 1);
        all.add(config);
        all.addAll(layers);
        return all;
    }
}
