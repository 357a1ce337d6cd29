package dev.plinth.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One server for a test class: the store of {@link TestServers#store} in a temporary folder, a
 * server configured from it, and a client; closed and deleted after the class.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ServerExtension SERVER = new ServerExtension((dir, store) -> TestServers.config(store));
 * }</pre>
 */
final class ServerExtension implements BeforeAllCallback, AfterAllCallback {

    /** The server's configuration, given the test's folder and the store made in it. */
    interface Setup {
        ServerConfig config(Path dir, Path store) throws Exception;
    }

    private final Setup setup;
    private Path dir;
    private Path store;
    private PlinthServer server;
    private TestServers.Client client;

    ServerExtension(Setup setup) {
        this.setup = setup;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("plinth-server-test");
        store = TestServers.store(dir);
        server = PlinthServer.start(setup.config(dir, store));
        client = new TestServers.Client(server);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (server != null) {
            server.close();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    PlinthServer server() {
        return server;
    }

    TestServers.Client client() {
        return client;
    }

    Path store() {
        return store;
    }
}
