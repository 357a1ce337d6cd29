package dev.plinth.server;

import java.net.InetAddress;

/**
 * Who is calling: a loopback client of a server without keys (every model), or the holder of an
 * API key (the products its scope names).
 */
final class Access {

    static final Access EVERYTHING = new Access(null);

    private final ApiKeys.Scope scope;

    private Access(ApiKeys.Scope scope) {
        this.scope = scope;
    }

    /**
     * Who calls: without keys only loopback clients are served (403 for others); with keys a
     * request needs {@code Authorization: Bearer KEY} (401 without a known one), from anywhere.
     *
     * @param keys          the server's keys, or null
     * @param authorization the request's {@code Authorization} header, or null
     */
    static Access of(ApiKeys keys, InetAddress client, String authorization) {
        if (keys == null) {
            if (!client.isLoopbackAddress()) {
                throw ApiException.forbidden("This server serves loopback clients only; start it with --api-keys to serve "
                        + "others.");
            }
            return EVERYTHING;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiException.unauthorized("This server needs an API key: send 'Authorization: Bearer KEY'.");
        }
        return keys.scope(authorization.substring(7).strip()).map(Access::new)
                .orElseThrow(() -> ApiException.unauthorized("Incorrect API key provided."));
    }

    boolean allows(String model) {
        return scope == null || scope.allows(model);
    }

    /** 403 unless the caller may use {@code model}. */
    void check(String model) {
        if (!allows(model)) {
            throw ApiException.forbidden("This API key may not use the model '" + model + "'.");
        }
    }
}
