package dev.plinth.cli;

import dev.plinth.product.ProductName;
import dev.plinth.product.Store;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth rm}: remove products (their blobs stay until {@code plinth prune}). */
@Command(name = "rm", description = {"Remove products from the store. Their blobs stay until plinth prune removes",
        "those no product references."})
final class RemoveCommand implements Callable<Integer> {

    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(arity = "1..*", paramLabel = "NAME", description = "The products to remove: NAME[:TAG].")
    List<String> names = new ArrayList<>();

    RemoveCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        List<ProductName> targets = names.stream().map(n -> Products.name(spec, n)).toList();
        Store store = Products.store(console);
        List<String> missing = new ArrayList<>();
        for (ProductName name : targets) {
            if (store.remove(name)) {
                console.info("removed %s", name);
            } else {
                missing.add(name.toString());
            }
        }
        if (!missing.isEmpty()) {
            throw new CliException("no product named " + String.join(", ", missing) + " in the store (plinth list shows them)");
        }
        return Main.OK;
    }
}
