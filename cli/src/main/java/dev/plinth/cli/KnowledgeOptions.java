package dev.plinth.cli;

import dev.plinth.knowledge.Grounding;
import dev.plinth.knowledge.ProductKnowledge;
import dev.plinth.knowledge.SearchMode;
import dev.plinth.product.Product;
import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The options of run and chat for a product with knowledge: how many passages, which prompt, and printing the sources. */
final class KnowledgeOptions {

    @Option(names = "--sources", description = "For a product with knowledge: print the numbered sources ([n] path:lines) after the answer.")
    boolean sources;

    @Option(names = "--passages", paramLabel = "N", defaultValue = "4",
            description = "For a product with knowledge: passages retrieved per user turn (default: ${DEFAULT-VALUE}).")
    int passages;

    @Option(names = "--knowledge-template", paramLabel = "FILE",
            description = "For a product with knowledge: the prompt template ({{sources}} and {{question}}) instead of the default.")
    Path template;

    /** The product's knowledge with its embedder, or null when the product (or file) has none. */
    ProductKnowledge open(Console console, CommandSpec spec, Product product) throws IOException {
        if (product == null || product.knowledge().isEmpty()) {
            if (sources) {
                console.warn("--sources: %s has no knowledge, so no sources", product == null ? "a model file" : product.name());
            }
            return null;
        }
        String text = template == null ? null : Files.readString(template);
        long start = System.nanoTime();
        ProductKnowledge k;
        try {
            k = ProductKnowledge.open(product, KnowledgeBases.home(console), text, passages, SearchMode.HYBRID);
        } catch (IllegalArgumentException bad) {
            throw new ParameterException(spec.commandLine(), bad.getMessage());
        }
        console.debug("knowledge '%s': %d chunks; embedder %s (%s) loaded in %.1f ms", k.knowledgeBase().settings().name(),
                k.knowledgeBase().chunks(), k.embedder().source(), k.embedder().digest(), (System.nanoTime() - start) / 1e6);
        return k;
    }

    /** The conversation to render: grounded when there is knowledge. */
    static Grounding.Grounded ground(ProductKnowledge knowledge, List<ChatMessage> conversation) throws IOException {
        return knowledge == null ? new Grounding.Grounded(conversation, List.of()) : knowledge.grounding().ground(conversation);
    }

    /** Prints the sources after an answer when asked to. */
    void print(PrintStream out, ProductKnowledge knowledge, Grounding.Grounded grounded) {
        if (!sources || knowledge == null) {
            return;
        }
        out.println();
        out.println("Sources:");
        grounded.citations().forEach(c -> out.println(c.line()));
        out.flush();
    }
}
