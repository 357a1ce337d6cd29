package dev.plinth.product.audit;

import dev.plinth.eval.PromptFormat;
import dev.plinth.model.ModelRuntime;
import dev.plinth.product.Product;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Opens what an audit evaluates: a product (its base with its adapters, and the prompt format its
 * profile gives) or a GGUF file. The CLI's opener renders profiles with their chat templates (the
 * {@code templates} module); {@link #RAW} reads every context as it is.
 */
public interface ModelOpener {

    /** A model open for evaluation. */
    record Opened(ModelRuntime runtime, PromptFormat format) implements AutoCloseable {
        @Override
        public void close() {
            runtime.close();
        }
    }

    /** Products and files opened with their adapters, contexts as they are. */
    ModelOpener RAW = new ModelOpener() {
        @Override
        public Opened open(Product product) throws IOException {
            return new Opened(product.open(), PromptFormat.RAW);
        }

        @Override
        public Opened open(Path file) throws IOException {
            return new Opened(ModelRuntime.open(file, null), PromptFormat.RAW);
        }
    };

    Opened open(Product product) throws IOException;

    Opened open(Path file) throws IOException;
}
