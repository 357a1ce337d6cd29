package dev.plinth.product;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Creates from separate processes: the file lock keeps the store sound, and a process killed before its manifest leaves none. */
class StoreProcessesTest {

    @TempDir
    Path tmp;

    /**
     * The child: {@code STORE PLINTHFILE PREFIX COUNT [halt]} creates products PREFIX0..PREFIX(COUNT-1);
     * with {@code halt} it dies (no shutdown, no unlock) as the first create reaches its manifest.
     */
    public static void main(String[] args) throws IOException {
        Store store = Store.open(Path.of(args[0]));
        boolean halt = args.length > 4 && args[4].equals("halt");
        for (int i = 0; i < Integer.parseInt(args[3]); i++) {
            ProductCreator.create(store, ProductName.parse(args[2] + i), Plinthfile.read(Path.of(args[1])), false,
                    (step, detail) -> {
                        if (halt && step == ProductCreator.Step.MANIFEST) {
                            Runtime.getRuntime().halt(3);
                        }
                    });
        }
    }

    private Process child(Path store, Path plinthfile, String prefix, int count, String... more) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), StoreProcessesTest.class.getName(),
                store.toString(), plinthfile.toString(), prefix, Integer.toString(count)));
        cmd.addAll(List.of(more));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(prefix + ".log").toFile()).start();
    }

    private static int exit(Process p) throws InterruptedException {
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("a child process did not finish");
        }
        return p.exitValue();
    }

    @Test
    void twoProcessesCreatingAtOnceLeaveASoundStore() throws Exception {
        Fixtures.stories(tmp.resolve("models"));
        Path plinthfile = Fixtures.write(tmp.resolve("Plinthfile"), "FROM models/stories260K.gguf\nSYSTEM Hello.\n");
        Path home = tmp.resolve("home");
        Process a = child(home, plinthfile, "a", 3);
        Process b = child(home, plinthfile, "b", 3);
        assertEquals(0, exit(a), () -> log("a"));
        assertEquals(0, exit(b), () -> log("b"));
        Store store = Store.open(home);
        assertEquals(6, store.names().size());
        assertEquals(List.of(), store.verifyAll(new HashMap<>()));
        assertEquals(1, store.product(ProductName.parse("a0")).manifest().layers(LayerType.WEIGHTS).size());
    }

    @Test
    void aProcessKilledBeforeItsManifestLeavesNoneAndReleasesTheLock() throws Exception {
        Fixtures.stories(tmp.resolve("models"));
        Path plinthfile = Fixtures.write(tmp.resolve("Plinthfile"), "FROM models/stories260K.gguf\nSYSTEM Hello.\n");
        Path home = tmp.resolve("home");
        assertEquals(3, exit(child(home, plinthfile, "killed", 1, "halt")), () -> log("killed"));
        Store store = Store.open(home);
        assertFalse(store.contains(ProductName.parse("killed0")));
        assertEquals(List.of(), store.names());
        assertFalse(store.blobDigests().isEmpty(), "its blobs were written before it died");
        // the lock died with the process: this create does not wait
        Product p = ProductCreator.create(store, ProductName.parse("after"), Plinthfile.read(plinthfile), false,
                ProductCreator.Listener.NONE);
        assertTrue(store.contains(p.name()));
        assertEquals(List.of(), store.verifyAll(new HashMap<>()));
    }

    private String log(String prefix) {
        try {
            return java.nio.file.Files.readString(tmp.resolve(prefix + ".log"));
        } catch (IOException e) {
            return e.toString();
        }
    }
}
