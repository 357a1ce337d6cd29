package dev.plinth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP exchange as the API sees it: the body read under the size limit and decoded as strict
 * UTF-8, JSON and error answers, and server-sent events for streams. Remembers the status sent for
 * the metrics.
 */
final class Call {

    private final HttpExchange exchange;
    private final long maxBodyBytes;
    private int status;
    private OutputStream stream;

    Call(HttpExchange exchange, long maxBodyBytes) {
        this.exchange = exchange;
        this.maxBodyBytes = maxBodyBytes;
    }

    String method() {
        return exchange.getRequestMethod();
    }

    String path() {
        return exchange.getRequestURI().getPath();
    }

    String query() {
        return exchange.getRequestURI().getRawQuery();
    }

    String header(String name) {
        return exchange.getRequestHeaders().getFirst(name);
    }

    void setHeader(String name, String value) {
        exchange.getResponseHeaders().set(name, value);
    }

    InetAddress remoteAddress() {
        return exchange.getRemoteAddress().getAddress();
    }

    int status() {
        return status;
    }

    /** Whether the status line has gone out (nothing else can be sent as an error then). */
    boolean committed() {
        return status != 0;
    }

    /**
     * The request body as text: 413 above the limit, 400 when it is not UTF-8. A body over the limit
     * is still read (and dropped) up to {@link #DRAIN_LIMIT}, so that its client, still sending,
     * reads the 413 rather than a reset connection.
     */
    String body() throws IOException {
        long declared = declaredLength();
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            if (declared > maxBodyBytes) {
                drain(in);
                throw ApiException.tooLarge(maxBodyBytes);
            }
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
            if (bytes.length > maxBodyBytes) {
                drain(in);
                throw ApiException.tooLarge(maxBodyBytes);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString(); // reports malformed input
        } catch (CharacterCodingException e) {
            throw ApiException.invalid(null, "The request body is not valid UTF-8.");
        }
    }

    /** How much of a body over the limit is read and dropped before the 413; beyond it the connection is closed. */
    static final long DRAIN_LIMIT = 64L << 20;

    private long declaredLength() {
        String length = header("Content-Length");
        if (length == null) {
            return -1;
        }
        try {
            return Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            throw ApiException.invalid(null, "Content-Length is not a number: " + length);
        }
    }

    private static void drain(InputStream in) throws IOException {
        long left = DRAIN_LIMIT;
        byte[] buffer = new byte[1 << 16];
        int n;
        while (left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0) {
            left -= n;
        }
    }

    void json(int code, JsonNode body) throws IOException {
        send(code, "application/json", Json.write(body).getBytes(StandardCharsets.UTF_8));
    }

    void text(int code, String contentType, String body) throws IOException {
        send(code, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    void send(int code, String contentType, byte[] body) throws IOException {
        setHeader("Content-Type", contentType);
        status = code;
        if (code == 204 || method().equals("HEAD")) {
            exchange.sendResponseHeaders(code, -1);
            return;
        }
        exchange.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    void error(ApiException e) throws IOException {
        if (e.retryAfterSeconds() > 0) {
            setHeader("Retry-After", Integer.toString(e.retryAfterSeconds()));
        }
        json(e.status(), errorBody(e));
    }

    /** OpenAI's error object: {@code {"error": {"message", "type", "param", "code"}}}, all four keys present. */
    static ObjectNode errorBody(ApiException e) {
        ObjectNode error = Json.object();
        error.put("message", e.getMessage());
        error.put("type", e.type());
        error.put("param", e.param());
        error.put("code", e.code());
        ObjectNode body = Json.object();
        body.set("error", error);
        return body;
    }

    /** Starts a stream of server-sent events (status 200, chunked). */
    void startEvents() throws IOException {
        setHeader("Content-Type", "text/event-stream; charset=utf-8");
        setHeader("Cache-Control", "no-cache");
        setHeader("X-Accel-Buffering", "no");
        status = 200;
        exchange.sendResponseHeaders(200, 0);
        stream = exchange.getResponseBody();
    }

    /** One {@code data:} event, flushed: a client that went away shows up here as an IOException. */
    void event(JsonNode data) throws IOException {
        write("data: " + Json.write(data) + "\n\n");
    }

    void eventDone() throws IOException {
        write("data: [DONE]\n\n");
    }

    /** An SSE comment: keeps the connection alive and finds out whether the client is still there. */
    void ping() throws IOException {
        write(": ping\n\n");
    }

    private void write(String text) throws IOException {
        stream.write(text.getBytes(StandardCharsets.UTF_8));
        stream.flush();
    }

    void close() {
        exchange.close();
    }
}
