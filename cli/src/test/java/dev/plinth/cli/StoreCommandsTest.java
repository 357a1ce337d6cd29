package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.product.Digest;
import dev.plinth.product.Fixtures;
import dev.plinth.product.OllamaStore;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** verify, prune, export to and import from an OCI layout, and import --ollama, through the CLI. */
class StoreCommandsTest {

    @TempDir
    Path tmp;

    private Path home;

    @BeforeEach
    void models() throws Exception {
        home = tmp.resolve("home");
        Fixtures.stories(tmp);
    }

    private String create(String name, String plinthfile) throws Exception {
        Path file = Fixtures.write(tmp.resolve("Plinthfile-" + name), plinthfile);
        Cli r = Cli.runIn(home, "create", name, "-f", file.toString());
        assertEquals(0, r.code(), r.err());
        return r.out().strip().split(" ")[1];
    }

    @Test
    void aTamperedBlobIsCaughtByRunAndByVerify() throws Exception {
        create("tutor", "FROM stories260K.gguf\nSYSTEM Hello.\n");
        Cli ok = Cli.runIn(home, "verify");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().matches("verified \\d+ blobs and 1 manifest: every blob matches its digest\n"), ok.out());

        Path weights = home.resolve("blobs").resolve(Digest.ofFile(tmp.resolve("stories260K.gguf")).fileName());
        Files.setPosixFilePermissions(weights, PosixFilePermissions.fromString("rw-r--r--"));
        try (FileChannel ch = FileChannel.open(weights, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {7, 7, 7}), 1000);
        }
        Cli run = Cli.runIn(home, "run", "tutor", "Hi");
        assertEquals(1, run.code());
        assertEquals("", run.out());
        assertTrue(run.err().startsWith("plinth: blob sha256:") && run.err().contains(weights + ") does not match its digest"),
                run.err());
        Cli verify = Cli.runIn(home, "verify", "tutor");
        assertEquals(1, verify.code());
        assertTrue(verify.err().contains(weights.toString()) && verify.err().endsWith("plinth: 1 problem in the blobs of tutor:latest\n"),
                verify.err());
        assertEquals(1, Cli.runIn(home, "verify").code());
    }

    @Test
    void pruneRemovesWhatNoProductReferences() throws Exception {
        create("keep", "FROM stories260K.gguf\nSYSTEM Keep me.\n");
        create("drop", "FROM keep\nSYSTEM Drop me.\n");
        assertEquals(0, Cli.runIn(home, "rm", "drop").code());
        Cli prune = Cli.runIn(home, "prune");
        assertEquals(0, prune.code(), prune.err());
        assertTrue(prune.out().contains("removed sha256-" + Digest.of("Drop me.".getBytes()).hex() + " (8 B)\n"), prune.out());
        assertTrue(prune.out().matches("(?s).*removed 3 blobs, [0-9.]+ (B|KiB) \\([0-9,]+ bytes\\)\n"), prune.out());
        assertEquals("removed 0 blobs, 0 B (0 bytes)\n", Cli.runIn(home, "prune").out());
        assertEquals(0, Cli.runIn(home, "run", "keep", "Once", "-n", "3", "-q").code());
    }

    @Test
    void exportToAnOciLayoutAndImportItIntoAnotherStore() throws Exception {
        String digest = create("tutor", "FROM stories260K.gguf\nSYSTEM Hello.\nLICENSE MIT\n");
        Path layout = tmp.resolve("oci");
        Cli export = Cli.runIn(home, "export", "tutor", layout.toString());
        assertEquals(0, export.code(), export.err());
        assertTrue(Files.isRegularFile(layout.resolve("oci-layout")) && Files.isRegularFile(layout.resolve("index.json")));
        assertArrayEquals(Files.readAllBytes(home.resolve("manifests/tutor/latest")),
                Files.readAllBytes(layout.resolve("blobs/sha256/" + digest.substring(7))));
        Cli both = Cli.runIn(home, "export", "tutor", layout.toString(), "--gguf", "x.gguf");
        assertEquals(2, both.code());

        Path other = tmp.resolve("other-home");
        Cli imported = Cli.runIn(other, "import", layout.toString());
        assertEquals(0, imported.code(), imported.err());
        assertEquals("tutor:latest " + digest + "\n", imported.out());
        assertEquals(Cli.runIn(home, "show", "tutor", "--json").out(), Cli.runIn(other, "show", "tutor", "--json").out());
        assertEquals(0, Cli.runIn(other, "verify").code());
        assertEquals(2, Cli.runIn(other, "import").code(), "a folder or --ollama is needed");
        Cli notLayout = Cli.runIn(other, "import", tmp.toString());
        assertEquals(1, notLayout.code());
        assertTrue(notLayout.err().contains("is not an OCI image layout"), notLayout.err());
    }

    @Test
    void importOllamaRegistersItsModels() throws Exception {
        Path tiny = Fixtures.tinyLlamaWithTemplate(tmp.resolve("models"));
        OllamaStore ollama = new OllamaStore(tmp.resolve("ollama"));
        ollama.layer("model", tiny).layer("system", "You are tiny.").layer("template", "{{ .Prompt }}")
                .layer("params", "{\"temperature\": 0, \"num_predict\": 5, \"mirostat\": 1}")
                .manifest("library", "tiny", "latest");
        Cli r = Cli.runIn(home, "import", "--ollama", ollama.root().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("tiny:latest sha256:[0-9a-f]{64}\n"), r.out());
        assertTrue(r.err().contains("warning: tiny:latest: parameter mirostat left out"), r.err());
        Cli show = Cli.runIn(home, "show", "tiny");
        assertTrue(show.out().contains("template      an Ollama Go template, kept as text; the product runs with the GGUF's tokenizer.chat_template"),
                show.out());
        assertTrue(show.out().contains("base          ollama registry.ollama.ai/library/tiny/latest"), show.out());
        Cli run = Cli.runIn(home, "run", "tiny", "Hello");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.err().contains("decode 5 tokens"), run.err());

        Cli missing = Cli.runIn(home, "import", "--ollama", tmp.resolve("no-ollama").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("is not an Ollama model store"), missing.err());
    }
}
