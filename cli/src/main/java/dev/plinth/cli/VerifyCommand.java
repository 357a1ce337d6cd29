package dev.plinth.cli;

import dev.plinth.product.ProductName;
import dev.plinth.product.Store;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth verify}: check blobs against their digests. */
@Command(name = "verify", description = {"Check every blob of the store (or of one product) against its digest, and every",
        "manifest's references. Each problem is a line on standard error; any makes the exit code 1."})
final class VerifyCommand implements Callable<Integer> {

    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(arity = "0..1", paramLabel = "NAME", description = "Only this product's blobs (default: the whole store).")
    String name;

    VerifyCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        Store store = Products.store(console);
        List<Store.Problem> problems;
        String what;
        if (name != null) {
            ProductName product = Products.name(spec, name);
            problems = store.verify(product);
            what = "the blobs of " + product;
        } else {
            Map<String, Long> checked = new HashMap<>();
            problems = store.verifyAll(checked);
            what = count(checked.get("blobs"), "blob") + " and " + count(checked.get("manifests"), "manifest");
        }
        if (!problems.isEmpty()) {
            problems.forEach(p -> console.error(p.what()));
            throw new CliException(count(problems.size(), "problem") + " in " + what);
        }
        console.out().println("verified " + what + ": every blob matches its digest");
        return Main.OK;
    }

    private static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
