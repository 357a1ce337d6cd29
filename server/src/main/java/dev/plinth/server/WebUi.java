package dev.plinth.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.product.Digest;
import dev.plinth.product.Lineage;
import dev.plinth.product.Product;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The web UI: its pages and scripts from the jar ({@code /}, {@code /chat.html}, {@code
 * /runs.html}, plain HTML and JavaScript over the API), and what they read besides the API: a
 * product's lineage drawn as SVG, and the training runs' {@code log.csv} files of the folder given
 * with {@code --runs}.
 */
final class WebUi {

    private static final String RESOURCES = "/dev/plinth/server/ui/";
    private static final Map<String, String> PAGES = Map.of(
            "/", "index.html", "/index.html", "index.html", "/chat.html", "chat.html", "/runs.html", "runs.html",
            "/app.js", "app.js", "/app.css", "app.css");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8");

    private final Catalog catalog;
    private final Path runs;

    WebUi(Catalog catalog, Path runs) {
        this.catalog = catalog;
        this.runs = runs;
    }

    /** Whether {@code path} is a page or script of the UI. */
    static boolean isPage(String path) {
        return PAGES.containsKey(path);
    }

    void page(Call call) throws IOException {
        String name = PAGES.get(call.path());
        byte[] body;
        try (InputStream in = WebUi.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw ApiException.notFound(call.path());
            }
            body = in.readAllBytes();
        }
        call.setHeader("Cache-Control", "no-cache");
        call.setHeader("X-Content-Type-Options", "nosniff");
        call.send(200, TYPES.get(name.substring(name.lastIndexOf('.') + 1)), body);
    }

    /** {@code GET /ui/api/lineage.svg?model=ID}: the product's lineage tree as SVG. */
    void lineage(Call call, Access access) throws IOException {
        String id = queryParameter(call, "model");
        ServedModel m = catalog.find(id).orElseThrow(() -> ApiException.modelNotFound(id));
        access.check(m.id());
        Product product = catalog.product(m).orElseThrow(() -> ApiException.invalid("model",
                "'" + m.id() + "' is a model file, not a product of the store: it has no lineage."));
        String svg = Lineage.svg(m.id(), Digest.parse(m.digest()), product.lineage());
        call.text(200, "image/svg+xml; charset=utf-8", svg);
    }

    /** {@code GET /ui/api/runs}: the run folders that hold a {@code log.csv}. */
    void runs(Call call) throws IOException {
        ObjectNode body = Json.object();
        ArrayNode list = body.putArray("runs");
        for (String name : runNames()) {
            list.addObject().put("name", name);
        }
        call.json(200, body);
    }

    /** {@code GET /ui/api/runs/NAME/log.csv}. */
    void runLog(Call call, String name) throws IOException {
        if (!runNames().contains(name)) {
            throw ApiException.notFound(call.path());
        }
        Path folder = name.equals(".") ? runs : runs.resolve(name);
        call.text(200, "text/csv; charset=utf-8", Files.readString(folder.resolve("log.csv")));
    }

    /** The runs: the folder itself ({@code .}) when it is a run, and each child folder that is one. */
    private List<String> runNames() throws IOException {
        List<String> names = new ArrayList<>();
        if (runs == null || !Files.isDirectory(runs)) {
            return names;
        }
        if (Files.isRegularFile(runs.resolve("log.csv"))) {
            names.add(".");
        }
        try (Stream<Path> children = Files.list(runs)) {
            children.filter(p -> Files.isRegularFile(p.resolve("log.csv"))).map(p -> p.getFileName().toString()).sorted()
                    .forEach(names::add);
        }
        return names;
    }

    private static String queryParameter(Call call, String name) {
        String query = call.query();
        if (query != null) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).equals(name)) {
                    try {
                        return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                    } catch (IllegalArgumentException e) {
                        throw ApiException.invalid(name, "The query parameter '" + name + "' is not URL-encoded.");
                    }
                }
            }
        }
        throw ApiException.invalid(name, "The query parameter '" + name + "' is required.");
    }
}
