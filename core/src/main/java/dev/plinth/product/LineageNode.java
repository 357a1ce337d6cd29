package dev.plinth.product;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One parent in a product's lineage: what it is, the digest that names it, where it was found, and
 * its own parents. The lineage layer of a manifest holds the tree of its parents (see
 * {@link Lineage}); a parent product's tree is copied in whole, so a lineage stays complete after
 * the parent is removed or the product is exported alone.
 *
 * @param role    how it relates to its child: {@code base}, {@code from} (the product built on),
 *                {@code adapter}, {@code source} (what a base was converted from), {@code checkpoint},
 *                {@code corpus}, {@code tokenizer}, {@code trained-on}, {@code data}, {@code training-config},
 *                {@code weights}
 * @param kind    what it is: {@code gguf}, {@code huggingface}, {@code checkpoint}, {@code dataset-card},
 *                {@code tokenizer}, {@code product}, {@code peft}, {@code lora-gguf}, {@code ollama},
 *                {@code file}
 * @param name    a product name, or null
 * @param digest  {@code sha256:<hex>} of its content (a product's: of its manifest), or null when unknown
 * @param source  the file or folder it was read from, or null
 * @param details facts worth keeping (GGUF {@code general.*} metadata, an adapter's scale, a recorded
 *                base mismatch, a reference to a blob outside the store)
 * @param parents its own parents
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"role", "kind", "name", "digest", "source", "details", "parents"})
public record LineageNode(String role, String kind, String name, String digest, String source,
                          Map<String, Object> details, List<LineageNode> parents) {

    public LineageNode {
        details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
        parents = parents == null ? List.of() : List.copyOf(parents);
    }

    /** A node without a name, details or parents. */
    public static LineageNode of(String role, String kind, Digest digest, String source) {
        return new LineageNode(role, kind, null, digest == null ? null : digest.toString(), source, Map.of(), List.of());
    }

    public LineageNode withDetails(Map<String, Object> more) {
        Map<String, Object> all = new LinkedHashMap<>(details);
        all.putAll(more);
        return new LineageNode(role, kind, name, digest, source, all, parents);
    }

    public LineageNode withParents(List<LineageNode> more) {
        List<LineageNode> all = new java.util.ArrayList<>(parents);
        all.addAll(more);
        return new LineageNode(role, kind, name, digest, source, details, all);
    }

    public LineageNode withRole(String newRole) {
        return new LineageNode(newRole, kind, name, digest, source, details, parents);
    }
}
