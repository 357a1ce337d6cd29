package dev.plinth.product;

import java.util.Optional;

/**
 * What a manifest layer holds, by its media type {@code application/vnd.plinth.<type>}. Text layers
 * are UTF-8; {@code messages} is a JSON array of {@code {"role", "content"}} and {@code params} a
 * JSON object, as in Ollama's layers of the same names; {@code lineage} is the JSON tree of
 * {@link Lineage}; {@code audit} is the JSON an audit wrote.
 */
public enum LayerType {
    /** The base's weights: a GGUF file, memory-mapped from its blob when the product runs. */
    WEIGHTS("weights"),
    /** One file of an adapter (a LoRA GGUF, or a PEFT folder's files), annotated with its index, scale and file name. */
    ADAPTER("adapter"),
    /** The system prompt. */
    SYSTEM("system"),
    /** Few-shot turns. */
    MESSAGES("messages"),
    /** A chat template replacing the base's (Jinja; an Ollama Go template is kept as text, annotated). */
    TEMPLATE("template"),
    /** Generation parameters. */
    PARAMS("params"),
    /** A licence text (one layer each). */
    LICENSE("license"),
    /** What the product is for. */
    DESCRIPTION("description"),
    /**
     * A knowledge base: a POSIX tar of the files of its index's last commit (names sorted, times and
     * owners zero, so the same index gives the same digest), annotated with its name.
     */
    KNOWLEDGE("knowledge"),
    /** Where the product comes from: its parents by digest. */
    LINEAGE("lineage"),
    /**
     * What an audit found in the product (JSON: its results, and the changes against its parent),
     * annotated with the digest of the product it examined (its manifest without this layer).
     */
    AUDIT("audit");

    /** The media type of a Plinth manifest (an OCI image manifest, as registries and ORAS carry it). */
    public static final String MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
    /** The media type of a product's config blob. */
    public static final String CONFIG_MEDIA_TYPE = "application/vnd.plinth.config.v1+json";

    private final String name;

    LayerType(String name) {
        this.name = name;
    }

    /** {@code application/vnd.plinth.<type>}. */
    public String mediaType() {
        return "application/vnd.plinth." + name;
    }

    /** The lower-case name, as in {@code plinth show}. */
    public String label() {
        return name;
    }

    public static Optional<LayerType> of(String mediaType) {
        for (LayerType t : values()) {
            if (t.mediaType().equals(mediaType)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
