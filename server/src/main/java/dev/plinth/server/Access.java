package dev.plinth.server;

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

    static Access of(ApiKeys.Scope scope) {
        return new Access(scope);
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
