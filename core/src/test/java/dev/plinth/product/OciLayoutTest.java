package dev.plinth.product;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.model.ModelRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A product exported as an OCI image layout and imported into another store comes back bit for bit. */
class OciLayoutTest {

    @TempDir
    Path tmp;

    @Test
    void exportThenImportKeepsEveryByteAndTheDigest() throws Exception {
        Fixtures.stories(tmp.resolve("models"));
        Store source = Store.open(tmp.resolve("home-a"));
        Product tutor = Fixtures.create(source, tmp, "tutor:v1", "FROM models/stories260K.gguf\nSYSTEM Teach.\nLICENSE MIT\n");
        Product other = Fixtures.create(source, tmp, "other", "FROM tutor:v1\nSYSTEM Something else.\n");
        Path layout = tmp.resolve("layout");
        OciLayout.export(tutor, layout);
        OciLayout.export(other, layout);

        JsonNode ociLayout = new ObjectMapper().readTree(layout.resolve("oci-layout").toFile());
        assertEquals("1.0.0", ociLayout.get("imageLayoutVersion").asText());
        JsonNode index = new ObjectMapper().readTree(layout.resolve("index.json").toFile());
        assertEquals(2, index.get("schemaVersion").asInt());
        assertEquals(2, index.get("manifests").size());
        JsonNode entry = index.get("manifests").get(0);
        assertEquals(tutor.digest().toString(), entry.get("digest").asText());
        assertEquals(LayerType.MANIFEST_MEDIA_TYPE, entry.get("mediaType").asText());
        assertEquals("tutor:v1", entry.get("annotations").get(OciLayout.REF_NAME).asText());
        for (Descriptor d : tutor.manifest().blobs()) {
            assertArrayEquals(Files.readAllBytes(source.blobPath(d.digest())),
                    Files.readAllBytes(layout.resolve("blobs/sha256/" + d.digest().hex())), d.toString());
        }

        OciLayout.export(tutor, layout);
        assertEquals(2, new ObjectMapper().readTree(layout.resolve("index.json").toFile()).get("manifests").size(),
                "exporting again replaces the entry");

        Store target = Store.open(tmp.resolve("home-b"));
        List<ProductName> names = OciLayout.importLayout(target, layout);
        assertEquals(List.of(ProductName.parse("tutor:v1"), ProductName.parse("other")), names);
        Product back = target.product(ProductName.parse("tutor:v1"));
        assertEquals(tutor.digest(), back.digest());
        assertArrayEquals(source.manifestBytes(tutor.name()).orElseThrow(), target.manifestBytes(back.name()).orElseThrow());
        for (Descriptor d : tutor.manifest().blobs()) {
            assertArrayEquals(Files.readAllBytes(source.blobPath(d.digest())), Files.readAllBytes(target.blobPath(d.digest())));
        }
        assertEquals(other.digest(), target.product(ProductName.parse("other")).digest());
        assertEquals(tutor.lineage(), target.product(ProductName.parse("other")).lineage().getFirst().parents());
        assertEquals(List.of(), target.verifyAll(new HashMap<>()));
        try (ModelRuntime rt = back.open()) {
            assertEquals(512, rt.tokenizer().vocabSize());
        }
    }

    @Test
    void aDamagedLayoutBlobIsRefusedAndAFolderThatIsNotALayoutIsLeftAlone() throws Exception {
        Fixtures.stories(tmp.resolve("models"));
        Store source = Store.open(tmp.resolve("home-a"));
        Product tutor = Fixtures.create(source, tmp, "tutor", "FROM models/stories260K.gguf\nSYSTEM Teach.\n");
        Path layout = tmp.resolve("layout");
        OciLayout.export(tutor, layout);
        Path system = layout.resolve("blobs/sha256/" + tutor.manifest().layer(LayerType.SYSTEM).orElseThrow().digest().hex());
        Files.writeString(system, "Tamper.", StandardOpenOption.TRUNCATE_EXISTING);
        Store target = Store.open(tmp.resolve("home-b"));
        CorruptBlobException e = assertThrows(CorruptBlobException.class, () -> OciLayout.importLayout(target, layout));
        assertTrue(e.getMessage().contains(system.toString()), e.getMessage());
        assertEquals(List.of(), target.names());

        Path busy = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(busy.resolve("notes.txt"), "mine");
        ProductException notLayout = assertThrows(ProductException.class, () -> OciLayout.export(tutor, busy));
        assertTrue(notLayout.getMessage().contains("neither empty nor an OCI image layout"), notLayout.getMessage());
    }
}
