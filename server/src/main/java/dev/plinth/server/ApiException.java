package dev.plinth.server;

/**
 * A request the server answers with an OpenAI error object {@code {"error": {"message", "type",
 * "param", "code"}}} and an HTTP status; {@code retryAfterSeconds > 0} adds a {@code Retry-After}
 * header (the server is full).
 */
final class ApiException extends RuntimeException {

    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final int retryAfterSeconds;

    ApiException(int status, String type, String param, String code, String message, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: the request is malformed or asks for what cannot be done; {@code param} names the field. */
    static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, null, message, 0);
    }

    /** 400 with an OpenAI error code, such as {@code context_length_exceeded}. */
    static ApiException invalid(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", param, code, message, 0);
    }

    static ApiException unauthorized(String message) {
        return new ApiException(401, "invalid_request_error", null, "invalid_api_key", message, 0);
    }

    static ApiException forbidden(String message) {
        return new ApiException(403, "permission_error", null, "forbidden", message, 0);
    }

    static ApiException modelNotFound(String model) {
        return new ApiException(404, "invalid_request_error", "model", "model_not_found",
                "The model '" + model + "' does not exist or you do not have access to it (GET /v1/models lists them).", 0);
    }

    static ApiException notFound(String path) {
        return new ApiException(404, "invalid_request_error", null, "not_found", "No such endpoint: " + path, 0);
    }

    static ApiException methodNotAllowed(String method, String path) {
        return new ApiException(405, "invalid_request_error", null, "method_not_allowed",
                method + " is not allowed on " + path, 0);
    }

    static ApiException tooLarge(long limit) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large",
                "The request body is larger than this server accepts (" + limit + " bytes).", 0);
    }

    static ApiException unsupportedMediaType(String contentType) {
        return new ApiException(415, "invalid_request_error", null, "unsupported_media_type",
                "The request body must be JSON (Content-Type: application/json), not " + contentType, 0);
    }

    /** 429: the queue is full; retry after a moment. */
    static ApiException busy(String message) {
        return new ApiException(429, "rate_limit_error", null, "server_busy", message, 1);
    }

    /** 503: the server cannot serve the request now (shutting down, or the model failed). */
    static ApiException unavailable(String message) {
        return new ApiException(503, "server_error", null, "unavailable", message, 5);
    }

    int status() {
        return status;
    }

    String type() {
        return type;
    }

    String param() {
        return param;
    }

    String code() {
        return code;
    }

    int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
