package dev.plinth.product;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.model.ModelRuntime;
import dev.plinth.text.ChatMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An Ollama store in Ollama's exact layout, built here from the shared GGUFs, registered as products. */
class OllamaImportTest {

    @TempDir
    Path tmp;

    private static final String GO_TEMPLATE = "{{ if .System }}<|system|>{{ .System }}{{ end }}<|user|>{{ .Prompt }}<|assistant|>";

    private OllamaStore ollama() throws Exception {
        Path tiny = Fixtures.tinyLlamaWithTemplate(tmp.resolve("models"));
        Path stories = Fixtures.stories(tmp.resolve("models"));
        OllamaStore o = new OllamaStore(tmp.resolve("ollama/models"));
        o.layer("model", tiny).layer("template", GO_TEMPLATE).layer("system", "You are tiny.")
                .layer("params", "{\"temperature\": 0.6, \"stop\": [\"<|user|>\", \"<|end|>\"], \"num_predict\": 32, \"mirostat\": 2}")
                .layer("messages", "[{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}]")
                .layer("license", "Apache-2.0")
                .manifest("library", "tiny", "latest");
        o.layer("model", stories).manifest("someone", "stories", "q8");
        o.layer("model", stories).layer("projector", "not really a projector").manifest("library", "vision", "latest");
        return o;
    }

    @Test
    void everyModelBecomesAProductSharingOllamasBlob() throws Exception {
        OllamaStore o = ollama();
        Store store = Store.open(tmp.resolve("home"));
        OllamaImport.Result r = OllamaImport.run(store, o.root());

        assertEquals(List.of("someone/stories:q8", "tiny:latest"),
                r.imported().stream().map(i -> i.name().toString()).sorted().toList());
        assertEquals(1, r.skipped().size());
        assertEquals("registry.ollama.ai/library/vision/latest", r.skipped().getFirst().source());
        assertTrue(r.skipped().getFirst().reason().contains("multimodal projector"), r.skipped().getFirst().reason());

        Product tiny = store.product(ProductName.parse("tiny"));
        Path ollamaBlob = o.root().resolve("blobs").resolve(tiny.weights().digest().fileName());
        assertTrue(Files.isSameFile(ollamaBlob, tiny.weightsFile()), "the weights are Ollama's file, hard-linked");
        assertFalse(Files.isSymbolicLink(tiny.weightsFile()));
        Profile p = tiny.profile();
        assertEquals("You are tiny.", p.system());
        assertEquals(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello!")), p.messages());
        assertEquals(0.6f, p.parameters().temperature().orElseThrow());
        assertEquals(List.of("<|user|>", "<|end|>"), p.parameters().stops());
        assertEquals(32, p.parameters().maxTokens().orElseThrow(), "num_predict is max_tokens");
        assertEquals(GO_TEMPLATE, p.template());
        assertEquals(Profile.GO, p.templateSyntax());
        assertTrue(p.jinjaTemplate().isEmpty(), "a Go template is not rendered");
        assertEquals(List.of("Apache-2.0"), tiny.licenses());
        OllamaImport.Imported imported = r.imported().stream().filter(i -> i.name().equals(tiny.name())).findFirst().orElseThrow();
        assertTrue(imported.notes().stream().anyMatch(n -> n.startsWith("parameter mirostat left out")), imported.notes().toString());

        LineageNode base = tiny.lineage().getFirst();
        assertEquals("ollama", base.kind());
        assertEquals("registry.ollama.ai/library/tiny/latest", base.name());
        Path manifest = o.root().resolve("manifests/registry.ollama.ai/library/tiny/latest");
        assertEquals(Digest.ofFile(manifest).toString(), base.digest());
        assertEquals("llama", base.details().get("model_family"));
        assertEquals(tiny.weights().digest().toString(), base.parents().getFirst().digest());
        assertEquals("LLaMA v2", base.parents().getFirst().details().get("general.name"));

        try (ModelRuntime rt = tiny.open()) {
            assertEquals(Fixtures.TEMPLATE, rt.chatTemplate().orElseThrow(), "it runs with the GGUF's own template");
        }
        assertEquals(List.of(), store.verifyAll(new HashMap<>()));
        assertEquals(List.of(), store.prune());
    }

    @Test
    void weightsOnAnotherFileSystemAreReferencedAndStillVerified() throws Exception {
        OllamaStore o = ollama();
        Store store = Store.open(tmp.resolve("home"));
        OllamaImport.Result r = OllamaImport.run(store, o.root(), Store.Placement.REFERENCE);
        assertTrue(r.imported().stream().allMatch(OllamaImport.Imported::referenced));
        Product stories = store.product(ProductName.parse("someone/stories:q8"));
        Path ollamaBlob = o.root().resolve("blobs").resolve(stories.weights().digest().fileName());
        assertTrue(Files.isSymbolicLink(stories.weightsFile()));
        assertEquals(ollamaBlob.toAbsolutePath(), Files.readSymbolicLink(stories.weightsFile()));
        assertEquals(ollamaBlob.toAbsolutePath().normalize().toString(),
                stories.lineage().getFirst().parents().getFirst().details().get("reference"));
        stories.open().close();

        Files.write(ollamaBlob, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
        CorruptBlobException e = assertThrows(CorruptBlobException.class, stories::open);
        assertTrue(e.getMessage().contains(stories.weights().digest().toString()), e.getMessage());
    }

    @Test
    void aFolderThatIsNotAnOllamaStoreIsRefused() {
        ProductException e = assertThrows(ProductException.class, () -> OllamaImport.run(Store.open(tmp.resolve("home")), tmp));
        assertTrue(e.getMessage().contains("is not an Ollama model store"), e.getMessage());
    }
}
