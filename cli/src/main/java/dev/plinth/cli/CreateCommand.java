package dev.plinth.cli;

import dev.plinth.eval.Evaluator;
import dev.plinth.eval.Tasks;
import dev.plinth.knowledge.KnowledgeLayer;
import dev.plinth.product.Plinthfile;
import dev.plinth.product.Product;
import dev.plinth.product.ProductCreator;
import dev.plinth.product.ProductName;
import dev.plinth.product.Store;
import dev.plinth.product.audit.AuditGates;
import dev.plinth.product.audit.EvalCache;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth create}: build a product from a Plinthfile into the store. */
@Command(name = "create",
        description = {"Create a product in the store (PLINTH_HOME, default ~/.plinth) from a Plinthfile.",
                "Prints the product's name and digest. A product of the same name is replaced.",
                "AUDIT lines are gates: the product is evaluated and refused, not stored, when it fails one."})
final class CreateCommand implements Callable<Integer> {

    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME[:TAG]", description = "The product's name; the tag defaults to latest.")
    String name;

    @Option(names = {"-f", "--file"}, paramLabel = "PLINTHFILE", defaultValue = "Plinthfile",
            description = "The Plinthfile (default: ${DEFAULT-VALUE} in the current folder).")
    Path file;

    @Option(names = "--force", description = "Create even when an adapter records another base; the mismatch goes into the lineage.")
    boolean force;

    @Option(names = "--audit-limit", paramLabel = "N", defaultValue = "0",
            description = "Evaluate AUDIT gates on the first N items of each task; 0: all (default: ${DEFAULT-VALUE}).")
    int auditLimit;

    @Option(names = "--data", paramLabel = "DIR",
            description = "The folder of the built-in tasks' data for AUDIT gates (default: $PLINTH_DATA, else ../shared/data).")
    Path data;

    CreateCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        ProductName target = Products.name(spec, name);
        Plinthfile plinthfile = Plinthfile.read(file);
        long start = System.nanoTime();
        Store store = Products.store(console);
        Evaluator.Options options = Usage.check(spec, () -> Evaluator.Options.defaults().withLimit(auditLimit));
        AuditGates gates = new AuditGates(new ProfileOpener(), EvalCache.of(store),
                data != null ? data : Tasks.defaultDataRoot(console.environment()), options, new AuditListener(console));
        Product product = ProductCreator.create(store, target, plinthfile, force, (step, detail) -> console.info("%s", detail),
                new KnowledgeLayer(KnowledgeBases.home(console)), gates);
        console.debug("created in %.1f s", (System.nanoTime() - start) / 1e9);
        console.out().println(product.name() + " " + product.digest());
        return Main.OK;
    }
}
