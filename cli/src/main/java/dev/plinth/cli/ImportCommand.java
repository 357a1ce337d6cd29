package dev.plinth.cli;

import dev.plinth.product.OciLayout;
import dev.plinth.product.OllamaImport;
import dev.plinth.product.Product;
import dev.plinth.product.ProductName;
import dev.plinth.product.Store;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth import}: products from an OCI image layout, or the models of an Ollama store. */
@Command(name = "import",
        description = {"Import products: DIR is an OCI image layout written by plinth export (bit for bit, same digests);",
                "with --ollama, DIR is an Ollama model store (default: $OLLAMA_MODELS, else ~/.ollama/models) whose",
                "models become products model:tag, their weights shared with Ollama's blobs."})
final class ImportCommand implements Callable<Integer> {

    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(arity = "0..1", paramLabel = "DIR", description = "The OCI layout, or with --ollama the Ollama store.")
    Path dir;

    @Option(names = "--ollama", description = "Import the models of an Ollama store.")
    boolean ollama;

    ImportCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        Store store = Products.store(console);
        if (ollama) {
            return importOllama(store, dir != null ? dir : OllamaImport.defaultRoot(console.environment()));
        }
        if (dir == null) {
            throw new ParameterException(spec.commandLine(), "give the OCI layout's folder, or --ollama");
        }
        for (ProductName name : OciLayout.importLayout(store, dir)) {
            Product p = store.product(name);
            console.out().println(p.name() + " " + p.digest());
        }
        return Main.OK;
    }

    private int importOllama(Store store, Path root) throws IOException {
        OllamaImport.Result r = OllamaImport.run(store, root);
        for (OllamaImport.Imported i : r.imported()) {
            console.out().println(i.name() + " " + i.digest());
            console.info("%s: from %s%s", i.name(), i.source(), i.referenced() ? " (weights referenced in place: another file system)" : "");
            i.notes().forEach(n -> console.warn("%s: %s", i.name(), n));
        }
        r.skipped().forEach(s -> console.warn("%s left out: %s", s.source(), s.reason()));
        if (r.imported().isEmpty()) {
            throw new CliException("no model imported from " + root + (r.skipped().isEmpty() ? " (its manifests/ is empty)" : ""));
        }
        return Main.OK;
    }
}
