package dev.plinth.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The OpenAI-compatible server: {@code /v1/models}, {@code /v1/chat/completions}, {@code
 * /v1/completions}, {@code /v1/embeddings}, {@code /health} and {@code /metrics}, every product
 * of a base batched together on that base's {@link Scheduler}; and the web UI ({@link WebUi}) at {@code /}.
 *
 * <p>It runs on the JDK's own HTTP server with a virtual thread per exchange: a stream is a chunked
 * response flushed after every server-sent event, and a client that went away shows up as an
 * IOException on the next write (a token, or a ping each second while nothing comes), which
 * closes the request's run and frees its KV cache at the scheduler's next step. That is all SSE
 * needs, without a dependency; requests are read with a body limit and strict UTF-8 here.
 *
 * <pre>{@code
 * try (PlinthServer server = PlinthServer.start(ServerConfig.defaults(store))) {
 *     server.port();
 * }
 * }</pre>
 */
public final class PlinthServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PlinthServer.class.getName());

    private final ServerConfig config;
    private final Metrics metrics = new Metrics();
    private final Catalog catalog;
    private final ApiKeys keys;
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ChatCompletions chat;
    private final Completions completions;
    private final Embeddings embeddings;
    private final Models models;
    private final Map<String, Route> routes;
    private final WebUi ui;
    private static final String RUN_LOGS = "/ui/api/runs/";

    private PlinthServer(ServerConfig config) throws IOException {
        this.config = config;
        this.keys = config.apiKeys() == null ? null : ApiKeys.read(config.apiKeys());
        this.catalog = new Catalog(config, metrics);
        try {
            chat = new ChatCompletions(catalog, config, metrics);
            completions = new Completions(catalog, config, metrics);
            embeddings = new Embeddings(catalog, metrics);
            models = new Models(catalog);
            ui = new WebUi(catalog, config.runsFolder());
            routes = routes();
            http = HttpServer.create(new InetSocketAddress(InetAddress.getByName(config.host()), config.port()), 128);
            http.setExecutor(executor);
            http.createContext("/", this::handle);
            http.start();
        } catch (IOException | RuntimeException e) {
            catalog.close();
            throw e;
        }
    }

    /** Loads the products and files {@code config} names and starts serving. */
    public static PlinthServer start(ServerConfig config) throws IOException {
        return new PlinthServer(config);
    }

    /** The port it listens on (the one picked when the config asked for 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    public String host() {
        return config.host();
    }

    /** The ids of the models served now. */
    public java.util.List<String> modelIds() {
        return catalog.models().stream().map(ServedModel::id).toList();
    }

    /** Sequences running or queued on every base, and the KV cache they hold: zero when idle. */
    public Load load() {
        int running = 0;
        int queued = 0;
        long kv = 0;
        for (DecoderBase b : catalog.bases()) {
            running += b.scheduler().runningCount();
            queued += b.scheduler().queuedCount();
            kv += b.scheduler().kvBytesInUse();
        }
        return new Load(running, queued, kv);
    }

    /** What the schedulers hold now. */
    public record Load(int running, int queued, long kvBytes) {
    }

    private void handle(HttpExchange exchange) {
        Call call = new Call(exchange, config.maxBodyBytes());
        String endpoint = "other";
        try {
            endpoint = route(call);
        } catch (ApiException e) {
            answerError(call, e);
        } catch (IOException e) {
            LOG.log(Level.FINE, "client went away: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, call.method() + " " + call.path() + " failed", e);
            answerError(call, new ApiException(500, "server_error", null, null, "Internal error: " + e, 0));
        } finally {
            metrics.request(endpoint, call.status() == 0 ? 499 : call.status());
            call.close();
        }
    }

    private void answerError(Call call, ApiException e) {
        if (call.committed()) {
            return;
        }
        try {
            call.error(e);
        } catch (IOException gone) {
            LOG.log(Level.FINE, "client went away before its error: " + gone.getMessage());
        }
    }

    /** What answers a path: its name in the metrics, its method, whether it needs a key, and the handler. */
    private record Route(String name, String method, boolean authorized, Handler handler) {
    }

    private interface Handler {
        void handle(Call call, Access access) throws IOException, InterruptedException;
    }

    private Map<String, Route> routes() {
        return Map.of(
                "/health", new Route("health", "GET", false, (call, access) -> call.json(200, health())),
                "/metrics", new Route("metrics", "GET", true,
                        (call, access) -> call.text(200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape())),
                "/v1/models", new Route("models", "GET", true, models::list),
                "/v1/chat/completions", new Route("chat_completions", "POST", true, chat::handle),
                "/v1/completions", new Route("completions", "POST", true, completions::handle),
                "/v1/embeddings", new Route("embeddings", "POST", true, embeddings::handle),
                "/ui/api/lineage.svg", new Route("ui", "GET", true, ui::lineage),
                "/ui/api/runs", new Route("ui", "GET", true, (call, access) -> ui.runs(call)));
    }

    /** Answers the call; returns the endpoint's name for the metrics. */
    private String route(Call call) throws IOException, InterruptedException {
        Cors.apply(call, config.corsOrigins());
        String path = call.path();
        if (call.method().equals("OPTIONS")) {
            call.send(204, "text/plain", new byte[0]);
            return "options";
        }
        Route route = routes.get(path);
        if (route == null && path.startsWith("/v1/models/")) {
            String id = path.substring("/v1/models/".length());
            route = new Route("models", "GET", true, (c, access) -> models.one(c, access, id));
        }
        if (route == null && path.startsWith(RUN_LOGS) && path.endsWith("/log.csv")) {
            String run = path.substring(RUN_LOGS.length(), path.length() - "/log.csv".length());
            route = new Route("ui", "GET", true, (c, access) -> ui.runLog(c, run));
        }
        if (route == null && WebUi.isPage(path)) {
            route = new Route("ui", "GET", false, (c, access) -> ui.page(c));
        }
        if (route == null) {
            throw ApiException.notFound(path);
        }
        requireMethod(call, route.method());
        route.handler().handle(call, route.authorized() ? authorize(call) : Access.EVERYTHING);
        return route.name();
    }

    private static void requireMethod(Call call, String method) {
        if (!call.method().equals(method) && !(method.equals("GET") && call.method().equals("HEAD"))) {
            call.setHeader("Allow", method);
            throw ApiException.methodNotAllowed(call.method(), call.path());
        }
    }

    private Access authorize(Call call) {
        return Access.of(keys, call.remoteAddress(), call.header("Authorization"));
    }

    private ObjectNode health() {
        ObjectNode body = Json.object();
        body.put("status", "ok");
        body.put("models", catalog.models().size());
        body.put("bases", catalog.bases().size());
        Load load = load();
        body.put("running", load.running());
        body.put("queued", load.queued());
        body.put("kv_cache_bytes", load.kvBytes());
        return body;
    }

    @Override
    public void close() {
        http.stop(0);
        catalog.close();
        executor.shutdownNow();
    }
}
