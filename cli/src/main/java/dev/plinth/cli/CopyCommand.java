package dev.plinth.cli;

import dev.plinth.product.ProductName;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth cp}: a second name for a product (the same manifest, so the same digest). */
@Command(name = "cp", description = "Give a product a second name (the same manifest and digest; no blob is copied).")
final class CopyCommand implements Callable<Integer> {

    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "The product to copy: NAME[:TAG].")
    String source;

    @Parameters(index = "1", paramLabel = "TARGET", description = "The new name: NAME[:TAG] (replaced if it exists).")
    String target;

    CopyCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        ProductName from = Products.name(spec, source);
        ProductName to = Products.name(spec, target);
        Products.store(console).copy(from, to);
        console.info("copied %s to %s", from, to);
        return Main.OK;
    }
}
