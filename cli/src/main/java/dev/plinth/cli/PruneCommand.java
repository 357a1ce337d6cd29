package dev.plinth.cli;

import dev.plinth.product.Store;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code plinth prune}: remove the blobs no product references. */
@Command(name = "prune", description = {"Remove the blobs no product references (and scratch files of creates that did not finish).",
        "Prints each blob removed and the bytes freed."})
final class PruneCommand implements Callable<Integer> {

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    PruneCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        List<Store.Removed> removed = Products.store(console).prune();
        long bytes = 0;
        for (Store.Removed r : removed) {
            console.out().println("removed " + r.file() + " (" + TextFormat.bytes(r.bytes()) + ")");
            bytes += r.bytes();
        }
        console.out().println("removed " + removed.size() + " blob" + (removed.size() == 1 ? "" : "s") + ", "
                + TextFormat.bytes(bytes) + " (" + TextFormat.grouped(bytes) + " bytes)");
        return Main.OK;
    }
}
