package dev.plinth.cli;

import dev.plinth.product.Product;
import dev.plinth.product.ProductName;
import dev.plinth.product.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/** The product store as the commands see it ({@code PLINTH_HOME}), and MODEL arguments that name products. */
final class Products {

    private Products() {
    }

    static Store store(Console console) {
        return Store.open(Store.defaultRoot(console.environment()));
    }

    /** {@code text} as a product name; a malformed one is a usage error. */
    static ProductName name(CommandSpec spec, String text) {
        return Usage.check(spec, () -> ProductName.parse(text));
    }

    /** The product {@code text} names (a usage error when it is not a name; exit 1 when the store lacks it). */
    static Product product(Console console, CommandSpec spec, String text) throws IOException {
        return store(console).product(name(spec, text));
    }

    /**
     * The product a MODEL argument names, or null when it is a file or folder: a path that exists is
     * a model file; otherwise a product name is looked up in the store, and anything else is left to
     * be opened (and reported missing) as a file.
     */
    static Product productOrFile(Console console, String model) throws IOException {
        if (exists(model) || !ProductName.isValid(model)) {
            return null;
        }
        Store store = store(console);
        ProductName name = ProductName.parse(model);
        if (!store.contains(name)) {
            throw new CliException("no such file, folder or product: " + model + " (plinth list shows the products in "
                    + store.root() + ")");
        }
        return store.product(name);
    }

    private static boolean exists(String path) {
        try {
            return Files.exists(Path.of(path));
        } catch (InvalidPathException e) {
            return false;
        }
    }
}
