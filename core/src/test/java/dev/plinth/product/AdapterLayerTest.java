package dev.plinth.product;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.ModelRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ADAPTER lines: what is checked before adapters run, how they are stored, and what their lineage records. */
class AdapterLayerTest {

    @TempDir
    Path tmp;

    private Store store() throws Exception {
        Fixtures.stories(tmp.resolve("models"));
        return Store.open(tmp.resolve("home"));
    }

    @Test
    void aPeftFolderAndALoraGgufAreStoredWithTheirScalesAndAppliedAtRunTime() throws Exception {
        Store store = store();
        Fixtures.peftAdapter(tmp.resolve("mail"), 4, 64, null);
        Files.writeString(tmp.resolve("mail/card.json"), "{\"documents\": 3}");
        Fixtures.loraGguf(tmp.resolve("style.gguf"), "llama");
        Product mail = Fixtures.create(store, tmp, "mail", """
                FROM models/stories260K.gguf
                ADAPTER mail 0.5
                ADAPTER style.gguf
                """);
        List<Product.Adapter> adapters = mail.adapters();
        assertEquals(2, adapters.size());
        assertEquals("peft", adapters.get(0).format());
        assertEquals(0.5f, adapters.get(0).scale());
        assertEquals(List.of("adapter_config.json", "adapter_model.safetensors"), List.copyOf(adapters.get(0).files().keySet()));
        assertEquals(Files.readString(tmp.resolve("mail/adapter_config.json")),
                Files.readString(adapters.get(0).files().get("adapter_config.json")));
        assertEquals("gguf", adapters.get(1).format());
        assertEquals(1f, adapters.get(1).scale());

        LineageNode peft = mail.lineage().get(1);
        assertEquals("adapter", peft.role());
        assertEquals("peft", peft.kind());
        assertEquals(4, peft.details().get("rank"));
        assertEquals("stories260K", peft.details().get("base_model_name_or_path"));
        assertEquals("data", peft.parents().getFirst().role());
        assertEquals(Digest.ofFile(tmp.resolve("mail/card.json")).toString(), peft.parents().getFirst().digest());
        assertEquals("lora-gguf", mail.lineage().get(2).kind());

        try (ModelRuntime runtime = mail.open()) {
            assertEquals(List.of(0.5f, 1f), runtime.adapters().stream().map(AppliedAdapter::scale).toList(),
                    "the PEFT folder and the GGUF, from their blobs, at their scales");
        }

        Product onTop = Fixtures.create(store, tmp, "mail-tutor", "FROM mail\nSYSTEM Be brief.\nADAPTER style.gguf 2\n");
        assertEquals(3, onTop.adapters().size(), "a product on a product keeps its adapters and adds its own");
        assertEquals(2, onTop.adapters().get(2).index());
    }

    @Test
    void adaptersThatDoNotFitAreRefusedAtTheirLine() throws Exception {
        Store store = store();
        Fixtures.peftAdapter(tmp.resolve("wide"), 4, 65, null);
        Fixtures.loraGguf(tmp.resolve("qwen.gguf"), "qwen2");
        Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(tmp.resolve("notes.txt"), "not an adapter");
        String[][] table = {
                {"ADAPTER wide", "do not fit the base's [64, 64]: expected A [r, 64] and B [64, r]"},
                {"ADAPTER qwen.gguf", "is an adapter for architecture 'qwen2', the base is 'llama'"},
                {"ADAPTER empty", "is not a PEFT adapter folder: it has no adapter_config.json"},
                {"ADAPTER notes.txt", "is neither a PEFT adapter folder"},
                {"ADAPTER models/stories260K.gguf", "is a GGUF model, not an adapter"},
        };
        for (String[] row : table) {
            PlinthfileException e = assertThrows(PlinthfileException.class,
                    () -> Fixtures.create(store, tmp, "bad", "FROM models/stories260K.gguf\n\n" + row[0] + "\n"), row[0]);
            assertEquals(3, e.line(), e.getMessage());
            assertEquals(9, e.column(), e.getMessage());
            assertTrue(e.getMessage().contains(row[1]), e.getMessage());
        }
        assertEquals(List.of(), store.names());
    }

    @Test
    void anAdapterTrainedOnAnotherBaseIsRefusedUnlessForcedAndTheMismatchIsRecorded() throws Exception {
        Store store = store();
        Digest base = Digest.ofFile(tmp.resolve("models/stories260K.gguf"));
        Digest other = Digest.of("another base".getBytes());
        Fixtures.peftAdapter(tmp.resolve("right"), 2, 64, """
                {"base": "%s", "data": "%s", "dataSource": "emails/card.json"}
                """.formatted(base, Digest.of("card".getBytes())));
        Fixtures.peftAdapter(tmp.resolve("wrong"), 2, 64, "{\"base\": \"" + other + "\"}");

        Product right = Fixtures.create(store, tmp, "right", "FROM models/stories260K.gguf\nADAPTER right\n");
        LineageNode adapter = right.lineage().get(1);
        assertEquals("trained-on", adapter.parents().get(0).role());
        assertEquals(base.toString(), adapter.parents().get(0).digest());
        assertEquals("data", adapter.parents().get(1).role());
        assertEquals("emails/card.json", adapter.parents().get(1).source());

        Path file = Fixtures.write(tmp.resolve("Plinthfile-wrong"), "FROM models/stories260K.gguf\nADAPTER wrong\n");
        PlinthfileException e = assertThrows(PlinthfileException.class, () -> ProductCreator.create(store,
                ProductName.parse("wrong"), Plinthfile.read(file), false, ProductCreator.Listener.NONE));
        assertTrue(e.getMessage().contains("trained on base " + other + ", but this product's base is " + base), e.getMessage());
        Product forced = ProductCreator.create(store, ProductName.parse("wrong"), Plinthfile.read(file), true,
                ProductCreator.Listener.NONE);
        assertEquals("trained on " + other + ", applied to " + base + " (--force)", forced.lineage().get(1).details().get("mismatch"));
    }
}
