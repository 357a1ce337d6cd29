package dev.plinth.product.audit;

import dev.plinth.product.Descriptor;
import dev.plinth.product.Digest;
import dev.plinth.product.LayerType;
import dev.plinth.product.Product;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

/**
 * What an evaluation's result depends on, as one digest: the weights, each adapter (its blobs and
 * scale) and the profile's system prompt, few-shot turns and template. Licences, description,
 * parameters, lineage and audit layers do not change a score, so two products that differ only in
 * them (or a product and the GGUF file it stores as it is) share cached results.
 */
final class EvaluationDigest {

    private static final List<LayerType> PROFILE = List.of(LayerType.SYSTEM, LayerType.MESSAGES, LayerType.TEMPLATE);

    private EvaluationDigest() {
    }

    static Digest of(Product product) {
        StringBuilder text = new StringBuilder("weights ").append(product.weights().digest()).append('\n');
        for (Product.Adapter a : product.adapters()) {
            text.append("adapter ").append(a.scale());
            a.layers().stream().sorted(Comparator.comparing(d -> d.digest().hex()))
                    .forEach(d -> text.append(' ').append(d.digest()));
            text.append('\n');
        }
        for (LayerType t : PROFILE) {
            for (Descriptor d : product.manifest().layers(t)) {
                text.append(t.label()).append(' ').append(d.digest()).append('\n');
            }
        }
        return Digest.of(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    static Digest of(Path gguf) throws IOException {
        return Digest.of(("weights " + Digest.ofFile(gguf) + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
