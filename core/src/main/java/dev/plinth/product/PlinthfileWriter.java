package dev.plinth.product;

import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The Plinthfile that re-creates a product ({@code plinth show NAME --plinthfile}): FROM its weights'
 * blob (a GGUF file, so the new product shares it), its LoRA GGUF adapters' blobs, and its profile,
 * licences and description. A PEFT adapter is named by the folder it was created from (the store
 * keeps its files, not the folder); an Ollama Go template is left out (it is not used when the
 * product runs).
 */
public final class PlinthfileWriter {

    private static final String TRIPLE = "\"\"\"";

    private PlinthfileWriter() {
    }

    public static String text(Product product) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# Plinthfile of ").append(product.name()).append(" (").append(product.digest()).append(")\n");
        sb.append("# FROM its weights' blob; it stands on ").append(product.baseLabel()).append('\n');
        sb.append("FROM ").append(product.weightsFile()).append('\n');
        List<LineageNode> adapterNodes = product.lineage().stream().filter(n -> n.role().equals("adapter")).toList();
        List<Product.Adapter> adapters = product.adapters();
        for (int i = 0; i < adapters.size(); i++) {
            Product.Adapter a = adapters.get(i);
            Path path = a.format().equals("gguf") ? a.files().values().iterator().next()
                    : i < adapterNodes.size() && adapterNodes.get(i).source() != null ? Path.of(adapterNodes.get(i).source()) : null;
            if (path == null) {
                sb.append("# ADAPTER ").append(a.index()).append(": a PEFT folder whose source is not recorded\n");
                continue;
            }
            if (!a.format().equals("gguf")) {
                sb.append("# the PEFT folder this adapter was created from\n");
            }
            sb.append("ADAPTER ").append(quotedPath(path.toString())).append(' ').append(a.scale()).append('\n');
        }
        Profile profile = product.profile();
        if (profile.template() != null && profile.templateSyntax().equals(Profile.JINJA)) {
            sb.append("TEMPLATE ").append(value(profile.template())).append('\n');
        } else if (profile.template() != null) {
            sb.append("# its Ollama (Go) template is kept with the product but not used, so not repeated here\n");
        }
        if (profile.system() != null) {
            sb.append("SYSTEM ").append(value(profile.system())).append('\n');
        }
        for (ChatMessage m : profile.messages()) {
            sb.append("MESSAGE ").append(m.role()).append(' ').append(value(m.content())).append('\n');
        }
        for (Map.Entry<Parameters.Key, String> e : profile.parameters().entries()) {
            sb.append("PARAMETER ").append(e.getKey().key()).append(' ').append(value(e.getValue())).append('\n');
        }
        for (String license : product.licenses()) {
            sb.append("LICENSE ").append(value(license)).append('\n');
        }
        product.description().ifPresent(d -> sb.append("DESCRIPTION ").append(value(d)).append('\n'));
        product.knowledge().ifPresent(d -> sb.append("# the knowledge base of that name under PLINTH_HOME/knowledge/ (as it is now)\n")
                .append("KNOWLEDGE ").append(d.annotations().getOrDefault(Product.KNOWLEDGE_NAME, "?")).append('\n'));
        return sb.toString();
    }

    /** A value as the parser reads it back: plain when it can be, else between {@code """}. */
    static String value(String v) {
        boolean plain = !v.isEmpty() && !v.contains("\n") && !v.contains("\r") && v.equals(v.strip()) && !v.startsWith("\"");
        return plain ? v : TRIPLE + v + TRIPLE;
    }

    private static String quotedPath(String path) {
        return path.contains(" ") || path.startsWith("\"") ? "\"" + path + "\"" : path;
    }
}
