package dev.plinth.server;

import java.util.List;

/** CORS, off unless origins are configured: then an allowed {@code Origin} gets the headers a browser checks. */
final class Cors {

    private Cors() {
    }

    static void apply(Call call, List<String> allowed) {
        String origin = call.header("Origin");
        if (origin == null || allowed.isEmpty() || !(allowed.contains("*") || allowed.contains(origin))) {
            return;
        }
        call.setHeader("Access-Control-Allow-Origin", allowed.contains("*") ? "*" : origin);
        call.setHeader("Vary", "Origin");
        call.setHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        call.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type");
        call.setHeader("Access-Control-Max-Age", "600");
    }
}
