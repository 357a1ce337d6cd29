package dev.plinth.server;

import java.nio.file.Path;
import java.util.List;

/**
 * How {@code plinth serve} runs.
 *
 * @param host          the address to bind (127.0.0.1 by default)
 * @param port          the port (0 picks a free one)
 * @param store         the product store, or null to serve model files only
 * @param products      the products to serve by name; empty with {@code allProducts} for every product
 * @param allProducts   serve every product of the store, including ones created while running
 * @param modelFiles    model files or folders served as products of their own (id: the file name)
 * @param apiKeys       the API key file (hashed keys scoped to products), or null: loopback clients only
 * @param maxBatch      sequences in one decode step at most, per base
 * @param contextLength the context of a sequence at most (0: the product's {@code num_ctx}, else the model's capped at 4096)
 * @param kvBudget      bytes of KV cache all running sequences of one base may hold
 * @param maxQueue      sequences that may wait per base before requests are refused (429)
 * @param maxBodyBytes  the largest request body (413 above)
 * @param maxTokens     the largest {@code max_tokens}
 * @param maxChoices    the largest {@code n}
 * @param corsOrigins   origins allowed by CORS; empty: no CORS headers
 * @param runsFolder    a folder of training runs whose {@code log.csv} the web UI plots, or null
 */
public record ServerConfig(String host, int port, Path store, List<String> products, boolean allProducts,
                           List<Path> modelFiles, Path apiKeys, int maxBatch, int contextLength, long kvBudget,
                           int maxQueue, long maxBodyBytes, int maxTokens, int maxChoices, List<String> corsOrigins,
                           Path runsFolder) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;

    public ServerConfig {
        products = List.copyOf(products);
        modelFiles = List.copyOf(modelFiles);
        corsOrigins = List.copyOf(corsOrigins);
        if (maxBatch < 1 || maxQueue < 1 || maxTokens < 1 || maxChoices < 1 || maxBodyBytes < 1 || kvBudget < 1) {
            throw new IllegalArgumentException("batch, queue, tokens, choices, body and KV budget limits must be positive");
        }
        if (contextLength < 0) {
            throw new IllegalArgumentException("the context length must not be negative, got " + contextLength);
        }
    }

    /** The defaults: loopback, port 8080, every product of {@code store}, a KV budget of half the heap. */
    public static ServerConfig defaults(Path store) {
        return new ServerConfig(DEFAULT_HOST, DEFAULT_PORT, store, List.of(), true, List.of(), null, 32, 0,
                Runtime.getRuntime().maxMemory() / 2, 256, 8L << 20, 8192, 16, List.of(), null);
    }

    public ServerConfig withAddress(String newHost, int newPort) {
        return new ServerConfig(newHost, newPort, store, products, allProducts, modelFiles, apiKeys, maxBatch,
                contextLength, kvBudget, maxQueue, maxBodyBytes, maxTokens, maxChoices, corsOrigins, runsFolder);
    }

    public ServerConfig withProducts(List<String> names, boolean all) {
        return new ServerConfig(host, port, store, names, all, modelFiles, apiKeys, maxBatch, contextLength, kvBudget,
                maxQueue, maxBodyBytes, maxTokens, maxChoices, corsOrigins, runsFolder);
    }

    public ServerConfig withModelFiles(List<Path> files) {
        return new ServerConfig(host, port, store, products, allProducts, files, apiKeys, maxBatch, contextLength,
                kvBudget, maxQueue, maxBodyBytes, maxTokens, maxChoices, corsOrigins, runsFolder);
    }

    public ServerConfig withApiKeys(Path file) {
        return new ServerConfig(host, port, store, products, allProducts, modelFiles, file, maxBatch, contextLength,
                kvBudget, maxQueue, maxBodyBytes, maxTokens, maxChoices, corsOrigins, runsFolder);
    }

    public ServerConfig withBatching(int newMaxBatch, int newMaxQueue, int newContextLength, long newKvBudget) {
        return new ServerConfig(host, port, store, products, allProducts, modelFiles, apiKeys, newMaxBatch,
                newContextLength, newKvBudget, newMaxQueue, maxBodyBytes, maxTokens, maxChoices, corsOrigins, runsFolder);
    }

    public ServerConfig withLimits(long newMaxBodyBytes, int newMaxTokens, int newMaxChoices) {
        return new ServerConfig(host, port, store, products, allProducts, modelFiles, apiKeys, maxBatch, contextLength,
                kvBudget, maxQueue, newMaxBodyBytes, newMaxTokens, newMaxChoices, corsOrigins, runsFolder);
    }

    public ServerConfig withCors(List<String> origins) {
        return new ServerConfig(host, port, store, products, allProducts, modelFiles, apiKeys, maxBatch, contextLength,
                kvBudget, maxQueue, maxBodyBytes, maxTokens, maxChoices, origins, runsFolder);
    }

    public ServerConfig withRunsFolder(Path folder) {
        return new ServerConfig(host, port, store, products, allProducts, modelFiles, apiKeys, maxBatch, contextLength,
                kvBudget, maxQueue, maxBodyBytes, maxTokens, maxChoices, corsOrigins, folder);
    }
}
