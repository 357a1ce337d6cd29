package dev.plinth.cli;

import dev.plinth.product.Store;
import java.io.IOException;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code plinth list}: the products in the store. */
@Command(name = "list", description = "List the products in the store: name, digest, size, when created, and what each stands on.")
final class ListCommand implements Callable<Integer> {

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    ListCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "DIGEST", "SIZE", "MODIFIED", "BASE"});
        for (Store.Listing l : Products.store(console).list()) {
            rows.add(new String[] {l.name().toString(), l.digest().shortHex(), TextFormat.bytes(l.size()),
                    WHEN.format(l.modified().toInstant()), l.base()});
        }
        TextFormat.table(rows, false, false, true).forEach(console.out()::println);
        return Main.OK;
    }
}
