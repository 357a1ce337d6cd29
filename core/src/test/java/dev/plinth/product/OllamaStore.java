package dev.plinth.product;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes an Ollama model store in Ollama's own layout (ollama/ollama {@code manifest/paths.go},
 * {@code manifest/manifest.go}): blobs at {@code blobs/sha256-<hex>}, manifests at
 * {@code manifests/registry.ollama.ai/<namespace>/<model>/<tag>} with Docker's manifest media type,
 * a {@code application/vnd.docker.container.image.v1+json} config and {@code application/vnd.ollama.image.*} layers.
 */
public final class OllamaStore {

    public static final String HOST = "registry.ollama.ai";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final List<ObjectNode> layers = new ArrayList<>();

    public OllamaStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** Adds a layer of {@code application/vnd.ollama.image.<type>} holding the file's bytes. */
    public OllamaStore layer(String type, Path file) throws IOException {
        return layer(type, Files.readAllBytes(file));
    }

    public OllamaStore layer(String type, String text) throws IOException {
        return layer(type, text.getBytes(StandardCharsets.UTF_8));
    }

    public OllamaStore layer(String type, byte[] bytes) throws IOException {
        layers.add(descriptor("application/vnd.ollama.image." + type, blob(bytes), bytes.length));
        return this;
    }

    /** Writes the manifest of {@code namespace/model:tag} from the layers added since the last one; returns its file. */
    public Path manifest(String namespace, String model, String tag) throws IOException {
        byte[] config = JSON.writeValueAsBytes(JSON.createObjectNode().put("model_format", "gguf").put("model_family", "llama")
                .put("model_type", "1M").put("file_type", "F16").put("architecture", "amd64").put("os", "linux"));
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", "application/vnd.docker.distribution.manifest.v2+json");
        manifest.set("config", descriptor("application/vnd.docker.container.image.v1+json", blob(config), config.length));
        ArrayNode array = manifest.putArray("layers");
        layers.forEach(array::add);
        layers.clear();
        Path file = root.resolve("manifests").resolve(HOST).resolve(namespace).resolve(model).resolve(tag);
        Files.createDirectories(file.getParent());
        Files.write(file, JSON.writeValueAsBytes(manifest));
        return file;
    }

    private Digest blob(byte[] bytes) throws IOException {
        Digest d = Digest.of(bytes);
        Path file = root.resolve("blobs").resolve(d.fileName());
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
        return d;
    }

    private static ObjectNode descriptor(String mediaType, Digest digest, long size) {
        return JSON.createObjectNode().put("mediaType", mediaType).put("digest", digest.toString()).put("size", size);
    }
}
