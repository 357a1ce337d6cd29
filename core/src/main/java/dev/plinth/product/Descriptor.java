package dev.plinth.product;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A reference to a blob, as OCI and Ollama manifests write it: media type, digest and size in
 * bytes, with optional string annotations (an adapter file's index, scale and name).
 */
public record Descriptor(String mediaType, Digest digest, long size, Map<String, String> annotations) {

    public Descriptor {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        annotations = annotations == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
    }

    public Descriptor(String mediaType, Digest digest, long size) {
        this(mediaType, digest, size, Map.of());
    }

    public Descriptor withAnnotations(Map<String, String> more) {
        Map<String, String> all = new TreeMap<>(annotations);
        all.putAll(more);
        return new Descriptor(mediaType, digest, size, all);
    }

    public String annotation(String key) {
        return annotations.get(key);
    }
}
