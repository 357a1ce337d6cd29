package dev.plinth.cli;

import dev.plinth.product.Store;
import dev.plinth.server.ApiKeys;
import dev.plinth.server.PlinthServer;
import dev.plinth.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth serve}: the OpenAI-compatible API and web UI over the store's products (and model files). */
@Command(name = "serve",
        description = {"Serve products over an OpenAI-compatible HTTP API and a web UI, every product of a base",
                "batched together on one loaded copy of it.",
                "Without --products, every product of the store is served, including ones created while it runs.",
                "MODEL files (GGUF, Hugging Face folders; BERT-family encoders answer /v1/embeddings) are served",
                "as products of their own, named by their file name."})
final class ServeCommand implements Callable<Integer> {
    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(paramLabel = "MODEL", arity = "0..*", description = "Model files or folders to serve besides the products.")
    List<Path> files = new ArrayList<>();

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = ServerConfig.DEFAULT_HOST,
            description = "The address to listen on (default: ${DEFAULT-VALUE}, this machine only).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "The port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--products", paramLabel = "NAME", arity = "1..*", description = "Serve these products only.")
    List<String> products = new ArrayList<>();

    @Option(names = "--all", description = "Serve every product of the store (the default without --products and MODELs).")
    boolean all;

    @Option(names = "--api-keys", paramLabel = "FILE", description = {"Hashed API keys scoped to products, one per line:",
            "'sha256:<hex> PRODUCT[,PRODUCT...]' or 'sha256:<hex> *' (see --new-key). Without it only loopback clients are served."})
    Path apiKeys;

    @Option(names = "--new-key", paramLabel = "SCOPE", description = "Print a new API key and its --api-keys line for SCOPE ('*' or products) and exit.")
    String newKey;

    @Option(names = "--max-batch", paramLabel = "N", defaultValue = "32", description = "Sequences per decode step and base at most (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--ctx", paramLabel = "N", defaultValue = "0",
            description = "Context of a sequence at most (default: the product's num_ctx, else the model's up to 4096).")
    int contextLength;

    @Option(names = "--memory", paramLabel = "BUDGET",
            description = "KV-cache memory per base, e.g. 2g or 512m (default: half the heap); requests beyond it queue, then get 429.")
    String memory;

    @Option(names = "--max-queue", paramLabel = "N", defaultValue = "256", description = "Sequences that may wait per base (default: ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "8192", description = "The largest max_tokens a request may ask (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--max-n", paramLabel = "N", defaultValue = "16", description = "The largest n a request may ask (default: ${DEFAULT-VALUE}).")
    int maxChoices;

    @Option(names = "--max-body", paramLabel = "SIZE", defaultValue = "8m", description = "The largest request body (default: ${DEFAULT-VALUE}).")
    String maxBody;

    @Option(names = "--cors", paramLabel = "ORIGIN", arity = "1..*", description = "Origins browsers may call the API from ('*' for any); CORS is off without it.")
    List<String> cors = new ArrayList<>();

    @Option(names = "--runs", paramLabel = "DIR", description = "A folder of training runs (each with log.csv) whose loss curves the web UI shows.")
    Path runs;

    @Spec
    CommandSpec spec;

    ServeCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (newKey != null) {
            String key = ApiKeys.newKey();
            console.out().println(key);
            console.out().println(ApiKeys.line(key, newKey));
            console.info("add the second line to the --api-keys file; the key itself is not stored anywhere");
            return Main.OK;
        }
        ServerConfig defaults = ServerConfig.defaults(Store.defaultRoot(console.environment()));
        ServerConfig config = Usage.check(spec, () -> defaults.withAddress(host, port)
                .withProducts(products, all || (products.isEmpty() && files.isEmpty()))
                .withModelFiles(files)
                .withApiKeys(apiKeys)
                .withBatching(maxBatch, maxQueue, contextLength, memory == null ? defaults.kvBudget() : bytes("--memory", memory))
                .withLimits(bytes("--max-body", maxBody), maxTokens, maxChoices)
                .withCors(cors)
                .withRunsFolder(runs));
        CountDownLatch stopped = new CountDownLatch(1);
        try (PlinthServer server = PlinthServer.start(config)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
            }));
            console.info("serving %s on http://%s:%d/ (API at /v1, web UI at /)", String.join(", ", server.modelIds()),
                    host, server.port());
            console.out().flush();
            stopped.await();
        }
        return Main.OK;
    }

    /** A size such as 512m, 2g or 1048576. */
    static long bytes(String option, String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        long unit = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1;
        };
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            long value = Long.parseLong(digits);
            if (value <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(value, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(option + " must be a positive size such as 512m or 2g, not '" + text + "'");
        }
    }
}
