package dev.plinth.product;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Products as an OCI image layout (opencontainers/image-spec {@code image-layout.md}), the folder
 * form registries and tools like ORAS carry: {@code oci-layout}, {@code index.json} naming each
 * product's manifest with {@code org.opencontainers.image.ref.name} = {@code name:tag}, and every
 * blob, the manifest included, at {@code blobs/sha256/<hex>}. Export and import copy bytes as they
 * are, so a product comes back with the same digest.
 */
public final class OciLayout {

    public static final String REF_NAME = "org.opencontainers.image.ref.name";
    private static final String INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private OciLayout() {
    }

    /**
     * Writes {@code product} into the layout at {@code dir}: a new or empty folder, or a layout
     * already there (the product is added; an entry of the same name is replaced). Blobs are hashed
     * as they are copied; {@code index.json} is written last.
     */
    public static void export(Product product, Path dir) throws IOException {
        boolean existing = Files.isRegularFile(dir.resolve("oci-layout"));
        if (!existing && Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw new ProductException(dir + " is neither empty nor an OCI image layout (no oci-layout file)");
                }
            }
        }
        Store store = product.store();
        for (Descriptor d : product.manifest().blobs()) {
            Path target = blobFile(dir, d.digest());
            if (!Files.isRegularFile(target) || Files.size(target) != d.size()) {
                store.copyBlob(d, target);
            }
        }
        byte[] manifest = store.manifestBytes(product.name()).orElseThrow(() -> new NoSuchProductException(product.name()));
        if (!Digest.of(manifest).equals(product.digest())) {
            throw new ProductException(product.name() + " changed while it was exported; export it again");
        }
        write(blobFile(dir, product.digest()), manifest);
        write(dir.resolve("oci-layout"), "{\"imageLayoutVersion\": \"1.0.0\"}".getBytes());

        ObjectNode index = existing ? (ObjectNode) JSON.readTree(dir.resolve("index.json").toFile()) : JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", INDEX_MEDIA_TYPE);
        ObjectNode entry = JSON.createObjectNode();
        entry.put("mediaType", product.manifest().mediaType());
        entry.put("digest", product.digest().toString());
        entry.put("size", manifest.length);
        entry.putObject("annotations").put(REF_NAME, product.name().toString());
        ArrayNode entries = JSON.createArrayNode();
        boolean replaced = false;
        for (JsonNode m : index.path("manifests")) {
            boolean same = m.path("annotations").path(REF_NAME).asText().equals(product.name().toString());
            entries.add(same ? entry : m);
            replaced |= same;
        }
        if (!replaced) {
            entries.add(entry);
        }
        index.set("manifests", entries);
        write(dir.resolve("index.json"), JSON.writeValueAsBytes(index));
    }

    private static Path blobFile(Path dir, Digest d) {
        return dir.resolve("blobs").resolve("sha256").resolve(d.hex());
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        AtomicFiles.write(file, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    /**
     * Reads every product of the layout at {@code dir} into {@code store}, bit for bit: each blob is
     * checked against its digest as it is copied, the manifest is stored as its exact bytes (so the
     * product keeps its digest) under the entry's {@code ref.name} ({@code name:tag}; a bare tag is
     * taken as a tag of a product named after the folder). Returns the names.
     */
    public static List<ProductName> importLayout(Store store, Path dir) throws IOException {
        if (!Files.isRegularFile(dir.resolve("oci-layout")) || !Files.isRegularFile(dir.resolve("index.json"))) {
            throw new ProductException(dir + " is not an OCI image layout (it needs oci-layout and index.json)");
        }
        JsonNode index = JSON.readTree(dir.resolve("index.json").toFile());
        List<ProductName> names = new ArrayList<>();
        try (StoreLock ignored = store.writeLock()) {
            for (JsonNode entry : index.path("manifests")) {
                names.add(importManifest(store, dir, entry));
            }
        }
        return names;
    }

    private static ProductName importManifest(Store store, Path dir, JsonNode entry) throws IOException {
        Digest digest = Digest.parse(entry.path("digest").asText(null));
        ProductName name = nameOf(entry.path("annotations").path(REF_NAME).asText(""), dir, digest);
        Path manifestFile = blobFile(dir, digest);
        byte[] bytes = Files.readAllBytes(manifestFile);
        if (!Digest.of(bytes).equals(digest)) {
            throw CorruptBlobException.mismatch(digest, manifestFile, Digest.of(bytes));
        }
        Manifest manifest = Manifest.parse(bytes, manifestFile.toString());
        if (manifest.layer(LayerType.WEIGHTS).isEmpty()) {
            throw new ProductException(manifestFile + " is not a Plinth product (it has no " + LayerType.WEIGHTS.mediaType() + " layer)");
        }
        for (Descriptor d : manifest.blobs()) {
            store.putFile(d.mediaType(), blobFile(dir, d.digest()), Store.Placement.COPY, d.digest());
        }
        store.putManifest(name, bytes);
        return name;
    }

    private static ProductName nameOf(String ref, Path dir, Digest digest) {
        try {
            if (ref.contains(":")) {
                return ProductName.parse(ref);
            }
            return new ProductName(dir.toAbsolutePath().normalize().getFileName().toString(), ref.isEmpty() ? ProductName.DEFAULT_TAG : ref);
        } catch (IllegalArgumentException e) {
            throw new ProductException("index.json entry " + digest + ": its " + REF_NAME + " '" + ref
                    + "' does not give a product name: " + e.getMessage());
        }
    }
}
