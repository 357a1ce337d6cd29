package dev.plinth.product;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.model.GenerationRequest;
import dev.plinth.model.GenerationResult;
import dev.plinth.model.Generator;
import dev.plinth.model.ModelRuntime;
import dev.plinth.model.SamplingParams;
import dev.plinth.text.ChatMessage;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store on real files: create, read back, list, copy, remove, prune, verify, concurrency and interruption. */
class StoreTest {

    @TempDir
    Path tmp;

    private Store store() {
        return Store.open(tmp.resolve("home"));
    }

    private static final String TUTOR = """
            FROM models/stories260K.gguf
            SYSTEM You are a patient tutor.
            MESSAGE user What is a noun?
            MESSAGE assistant A naming word.
            PARAMETER temperature 0
            PARAMETER stop .
            LICENSE MIT
            DESCRIPTION A tutor.
            """;

    @Test
    void createReadListCopyAndRemove() throws Exception {
        Path gguf = Fixtures.stories(tmp.resolve("models"));
        Store store = store();
        Product tutor = Fixtures.create(store, tmp, "tutor", TUTOR);

        assertEquals(ProductName.parse("tutor:latest"), tutor.name());
        assertEquals(Digest.ofFile(gguf), tutor.weights().digest(), "a GGUF is stored as it is");
        assertEquals(Files.size(gguf), tutor.weights().size());
        assertEquals(Digest.of(store.manifestBytes(tutor.name()).orElseThrow()), tutor.digest());
        Profile profile = tutor.profile();
        assertEquals("You are a patient tutor.", profile.system());
        assertEquals(List.of(ChatMessage.user("What is a noun?"), ChatMessage.assistant("A naming word.")), profile.messages());
        assertEquals(0f, profile.parameters().temperature().orElseThrow());
        assertEquals(List.of("."), profile.parameters().stops());
        assertEquals(List.of("MIT"), tutor.licenses());
        assertEquals("A tutor.", tutor.description().orElseThrow());
        assertEquals("stories260K.gguf", tutor.baseLabel());
        assertEquals("llama", tutor.config().path("architecture").asText());
        LineageNode base = tutor.lineage().getFirst();
        assertEquals("base", base.role());
        assertEquals("gguf", base.kind());
        assertEquals(tutor.weights().digest().toString(), base.digest());
        assertEquals(gguf.toString(), base.source());
        assertEquals("llama", base.details().get("general.architecture"));

        // a second product on the same base keeps one copy of the weights
        Fixtures.create(store, tmp, "story:v1", "FROM models/stories260K.gguf\nPARAMETER top_k 10\n");
        long weightBlobs = store.blobDigests().stream().filter(d -> d.equals(tutor.weights().digest())).count();
        assertEquals(1, weightBlobs);
        assertEquals(List.of("story:v1", "tutor:latest"), store.names().stream().map(ProductName::toString).toList());
        List<Store.Listing> rows = store.list();
        assertEquals(tutor.digest(), rows.get(1).digest());
        assertEquals(tutor.size(), rows.get(1).size());
        assertEquals("stories260K.gguf", rows.get(1).base());

        store.copy(tutor.name(), ProductName.parse("tutor:v2"));
        assertEquals(tutor.digest(), store.product(ProductName.parse("tutor:v2")).digest());
        assertTrue(store.remove(tutor.name()));
        assertFalse(store.remove(tutor.name()));
        assertThrows(NoSuchProductException.class, () -> store.product(ProductName.parse("tutor")));
        assertEquals(List.of("story:v1", "tutor:v2"), store.names().stream().map(ProductName::toString).toList());
        assertTrue(store.prune().isEmpty(), "tutor:v2 still references every blob of tutor");
        assertTrue(store.verifyAll(new HashMap<>()).isEmpty());
    }

    @Test
    void theProductRunsFromItsBlobWithTheGgufsChatTemplate() throws Exception {
        Fixtures.tinyLlamaWithTemplate(tmp.resolve("models"));
        Store store = store();
        Product chat = Fixtures.create(store, tmp, "chat", "FROM models/tiny-chat.gguf\n");
        try (ModelRuntime rt = chat.open()) {
            assertEquals(Fixtures.TEMPLATE, rt.chatTemplate().orElseThrow(), "the template is found in a blob without .gguf");
            int[] prompt = rt.tokenizer().encode("Hello", true, false);
            GenerationResult r = new Generator(rt.tokenizer()).generate(rt.newSequence(32), prompt,
                    GenerationRequest.of(SamplingParams.greedy(), 4));
            assertEquals(4, r.tokens().length);
        }
    }

    @Test
    void aProductOnAProductInheritsAndOverridesItsProfile() throws Exception {
        Fixtures.stories(tmp.resolve("models"));
        Store store = store();
        Product tutor = Fixtures.create(store, tmp, "tutor", TUTOR);
        Product strict = Fixtures.create(store, tmp, "strict", """
                FROM tutor
                SYSTEM You are a strict tutor.
                PARAMETER temperature 0.5
                PARAMETER top_k 5
                """);
        Profile p = strict.profile();
        assertEquals("You are a strict tutor.", p.system());
        assertEquals(tutor.profile().messages(), p.messages());
        assertEquals(0.5f, p.parameters().temperature().orElseThrow());
        assertEquals(5, p.parameters().topK().orElseThrow());
        assertEquals(List.of("."), p.parameters().stops());
        assertEquals(List.of("MIT"), strict.licenses());
        assertEquals(tutor.weights(), strict.weights());
        assertEquals("tutor:latest", strict.baseLabel());
        LineageNode from = strict.lineage().getFirst();
        assertEquals("from", from.role());
        assertEquals("tutor:latest", from.name());
        assertEquals(tutor.digest().toString(), from.digest());
        assertEquals(tutor.lineage(), from.parents(), "the parent's lineage is kept whole");
        String text = Lineage.text("strict:latest", strict.digest(), strict.lineage());
        assertTrue(text.contains("└── from: product tutor:latest  " + tutor.digest().toString().substring(0, 19)), text);
        assertTrue(text.contains("    └── base: gguf stories260K.gguf  " + tutor.weights().digest().toString().substring(0, 19)), text);

        PlinthfileException missing = assertThrows(PlinthfileException.class,
                () -> Fixtures.create(store, tmp, "x", "# x\nFROM no-such-product\n"));
        assertEquals(2, missing.line());
        assertEquals(6, missing.column());
        assertTrue(missing.getMessage().contains("no such file, folder or product: no-such-product"), missing.getMessage());
    }

    @Test
    void aTamperedBlobIsCaughtByOpenAndByVerify() throws Exception {
        Fixtures.stories(tmp.resolve("models"));
        Store store = store();
        Product tutor = Fixtures.create(store, tmp, "tutor", TUTOR);
        Path blob = tutor.weightsFile();
        Files.setPosixFilePermissions(blob, PosixFilePermissions.fromString("rw-r--r--"));
        try (FileChannel ch = FileChannel.open(blob, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {42}), Files.size(blob) - 10);
        }
        CorruptBlobException e = assertThrows(CorruptBlobException.class, tutor::open);
        assertEquals(tutor.weights().digest(), e.digest());
        assertTrue(e.getMessage().contains(tutor.weights().digest().toString()) && e.getMessage().contains(blob.toString()),
                e.getMessage());
        List<Store.Problem> problems = store.verifyAll(new HashMap<>());
        assertEquals(1, problems.size());
        assertTrue(problems.getFirst().what().contains("does not match its digest"), problems.getFirst().what());
        assertEquals(1, store.verify(tutor.name()).size());

        Path system = store.blobPath(tutor.manifest().layer(LayerType.SYSTEM).orElseThrow().digest());
        Files.delete(system);
        assertThrows(CorruptBlobException.class, tutor::profile);
        assertEquals(2, store.verifyAll(new HashMap<>()).size());
    }

    @Test
    void pruneKeepsWhatIsReferencedAndRemovesTheRest() throws Exception {
        Fixtures.stories(tmp.resolve("models"));
        Store store = store();
        Product keep = Fixtures.create(store, tmp, "keep", TUTOR);
        Product gone = Fixtures.create(store, tmp, "gone", "FROM keep\nSYSTEM Something else entirely.\n");
        Path goneSystem = store.blobPath(gone.manifest().layer(LayerType.SYSTEM).orElseThrow().digest());
        Path goneLineage = store.blobPath(gone.manifest().layer(LayerType.LINEAGE).orElseThrow().digest());
        Path goneConfig = store.blobPath(gone.manifest().config().digest());
        store.remove(gone.name());
        Files.createDirectories(store.root().resolve("blobs/.scratch-left-by-a-killed-create"));

        List<Store.Removed> removed = store.prune();
        List<String> files = removed.stream().map(Store.Removed::file).sorted().toList();
        List<String> expected = new ArrayList<>(List.of(".scratch-left-by-a-killed-create", goneSystem.getFileName().toString(),
                goneLineage.getFileName().toString(), goneConfig.getFileName().toString()));
        expected.sort(null);
        assertEquals(expected, files);
        assertEquals("Something else entirely.".length(), removed.stream()
                .filter(r -> r.file().equals(goneSystem.getFileName().toString())).findFirst().orElseThrow().bytes());
        for (Descriptor d : keep.manifest().blobs()) {
            assertTrue(Files.isRegularFile(store.blobPath(d.digest())), d.toString());
        }
        assertTrue(store.verifyAll(new HashMap<>()).isEmpty());
        assertTrue(store.prune().isEmpty());
    }

    @Test
    void createsFromSeveralThreadsAtOnceLeaveASoundStore() throws Exception {
        Fixtures.stories(tmp.resolve("models"));
        Store store = store();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Product>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String name = i < 6 ? "p" + i : "same";
                String text = "FROM models/stories260K.gguf\nSYSTEM You are number " + i + ".\n";
                Path file = Fixtures.write(tmp.resolve("Plinthfile-" + i), text);
                Callable<Product> create = () -> ProductCreator.create(store, ProductName.parse(name), Plinthfile.read(file),
                        false, ProductCreator.Listener.NONE);
                results.add(pool.submit(create));
            }
            for (Future<Product> f : results) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(7, store.names().size());
        Map<String, Long> checked = new HashMap<>();
        assertEquals(List.of(), store.verifyAll(checked));
        assertEquals(7L, checked.get("manifests"));
        try (Stream<Path> s = Files.list(store.root().resolve("blobs"))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no scratch files are left");
        }
    }

    @Test
    void aCreateStoppedBeforeItsManifestLeavesNoManifest() throws Exception {
        Fixtures.stories(tmp.resolve("models"));
        Store store = store();
        Path file = Fixtures.write(tmp.resolve("Plinthfile"), TUTOR);
        IOException stop = assertThrows(IOException.class, () -> ProductCreator.create(store, ProductName.parse("tutor"),
                Plinthfile.read(file), false, (step, detail) -> {
                    if (step == ProductCreator.Step.MANIFEST) {
                        throw new IOException("stopped");
                    }
                }));
        assertEquals("stopped", stop.getMessage());
        assertFalse(store.contains(ProductName.parse("tutor")));
        assertEquals(List.of(), store.names());
        assertFalse(store.prune().isEmpty(), "its blobs are unreferenced");
        assertEquals(List.of(), store.blobDigests());
    }

    @Test
    void putFileChecksAnExpectedDigestAndStoresIdenticalContentOnce() throws Exception {
        Store store = store();
        Path a = Files.writeString(tmp.resolve("a.txt"), "same bytes");
        Path b = Files.writeString(tmp.resolve("b.txt"), "same bytes");
        Descriptor da = store.putFile("text/plain", a, Store.Placement.COPY);
        Descriptor db = store.putFile("text/plain", b, Store.Placement.LINK_OR_COPY);
        assertEquals(da, db);
        assertEquals(List.of(da.digest()), store.blobDigests());
        assertArrayEquals("same bytes".getBytes(), store.readBlob(da));
        Digest wrong = Digest.of("other bytes".getBytes());
        CorruptBlobException e = assertThrows(CorruptBlobException.class,
                () -> store.putFile("text/plain", a, Store.Placement.COPY, wrong));
        assertTrue(e.getMessage().contains(wrong.toString()) && e.getMessage().contains(a.toString()), e.getMessage());
        Descriptor ref = store.putFile("text/plain", Files.writeString(tmp.resolve("c.txt"), "elsewhere"), Store.Placement.REFERENCE);
        assertTrue(Files.isSymbolicLink(store.blobPath(ref.digest())));
        store.verify(ref);
        Files.delete(tmp.resolve("c.txt"));
        CorruptBlobException gone = assertThrows(CorruptBlobException.class, () -> store.verify(ref));
        assertTrue(gone.getMessage().contains("which is gone"), gone.getMessage());
    }
}
