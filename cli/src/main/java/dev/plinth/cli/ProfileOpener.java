package dev.plinth.cli;

import dev.plinth.eval.PromptFormat;
import dev.plinth.model.ModelRuntime;
import dev.plinth.product.Product;
import dev.plinth.product.audit.ModelOpener;
import java.io.IOException;
import java.nio.file.Path;

/** Opens products for an audit as {@code plinth eval} does: with their adapters, and their profile through their template. */
final class ProfileOpener implements ModelOpener {

    @Override
    public Opened open(Product product) throws IOException {
        ModelRuntime runtime = product.open();
        try {
            return new Opened(runtime, ProfileFormat.of(product, runtime));
        } catch (IOException | RuntimeException e) {
            runtime.close();
            throw e;
        }
    }

    @Override
    public Opened open(Path file) throws IOException {
        return new Opened(ModelRuntime.open(file, null), PromptFormat.RAW);
    }
}
