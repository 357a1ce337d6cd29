package dev.plinth.product.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.SharedData;
import dev.plinth.eval.Evaluator;
import dev.plinth.eval.Task;
import dev.plinth.eval.TaskResult;
import dev.plinth.eval.Tasks;
import dev.plinth.product.Fixtures;
import dev.plinth.product.KnowledgePacker;
import dev.plinth.product.Plinthfile;
import dev.plinth.product.PlinthfileException;
import dev.plinth.product.Product;
import dev.plinth.product.ProductCreator;
import dev.plinth.product.ProductException;
import dev.plinth.product.ProductName;
import dev.plinth.product.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit on a real store: the lineage tree from a product or a base file, results cached by
 * (model, task) so a second audit evaluates only new nodes, audit layers that keep descendants
 * attached, and Plinthfile gates that refuse a product.
 */
class AuditTest {

    @TempDir
    Path tmp;

    private final Evaluator.Options options = Evaluator.Options.defaults().withLimit(6).withBootstrap(50);

    /** Counts what the audit evaluated rather than took from the cache. */
    private static final class Counting implements Audit.Listener {
        final List<String> evaluated = new ArrayList<>();

        @Override
        public void task(AuditTree.Node node, Task task, boolean cached) {
            if (!cached) {
                evaluated.add(node.label() + " " + task.name());
            }
        }
    }

    private static List<String> labels(AuditTree tree) {
        return tree.nodes().stream().map(AuditTree.Node::label).toList();
    }

    @Test
    void treeCacheAndAuditLayers() throws Exception {
        Path gguf = Fixtures.stories(tmp.resolve("models"));
        Store store = Store.open(tmp.resolve("home"));
        Fixtures.create(store, tmp, "base", "FROM models/stories260K.gguf\n");
        Fixtures.create(store, tmp, "tutor", "FROM base\nSYSTEM You tell stories.\n");
        Fixtures.create(store, tmp, "tutor:brief", "FROM tutor\nSYSTEM Be brief.\n");
        Fixtures.create(store, tmp, "other", "FROM models/stories260K.gguf\nDESCRIPTION a sibling of base\n");
        store.copy(ProductName.parse("tutor"), ProductName.parse("tutor-copy"));

        AuditTree fromBase = AuditTree.of(store, "base");
        // names of one manifest are one node, labelled by the first in name order
        assertEquals(List.of("base:latest", "tutor-copy:latest (= tutor:latest)", "tutor:brief"), labels(fromBase));
        assertEquals(2, fromBase.nodes().getLast().depth());
        AuditTree fromFile = AuditTree.of(store, gguf.toString());
        assertEquals(List.of("stories260K.gguf", "base:latest", "other:latest", "tutor-copy:latest (= tutor:latest)", "tutor:brief"),
                labels(fromFile));
        assertThrows(IllegalArgumentException.class, () -> AuditTree.of(store, "absent"));

        List<Task> tasks = List.of(Tasks.resolve("arc-easy", SharedData.require("arc-easy").getParent()));
        EvalCache cache = EvalCache.of(store);
        Counting first = new Counting();
        AuditReport report = new Audit(ModelOpener.RAW, cache, options, first).run(fromFile, tasks);
        // the file, base and other evaluate alike (the same weights, no profile): one evaluation for the three
        assertEquals(List.of("stories260K.gguf arc-easy", "tutor-copy:latest (= tutor:latest) arc-easy", "tutor:brief arc-easy"),
                first.evaluated);
        TaskResult root = report.nodes().getFirst().results().get("arc-easy");
        assertEquals(6, root.size());

        Product tutor = store.product(ProductName.parse("tutor"));
        Product audited = tutor.withAudit(new ObjectMapper().writeValueAsBytes(report.layerJson(new ObjectMapper(), report.nodes().get(3))));
        assertNotEquals(tutor.digest(), audited.digest());
        assertEquals(tutor.digest(), audited.lineageDigest(), "an audit does not change what the product is");
        assertEquals("stories260K.gguf", audited.audit().orElseThrow().path("root").asText());
        Fixtures.create(store, tmp, "tutor:kind", "FROM tutor\nSYSTEM Be kind.\n");

        Counting second = new Counting();
        AuditReport again = new Audit(ModelOpener.RAW, cache, options, second).run(AuditTree.of(store, "base"), tasks);
        assertEquals(List.of("tutor:kind arc-easy"), second.evaluated, "only the new product is evaluated");
        assertTrue(labels(again.tree()).containsAll(List.of("tutor:latest", "tutor:brief", "tutor:kind")), labels(again.tree()).toString());
        assertTrue(labels(again.tree()).contains("tutor-copy:latest"), "the audited tutor no longer shares the copy's manifest");
    }

    @Test
    void gatesRefuseAProductThatFailsOneAndStoreTheAuditOfOneThatPasses() throws Exception {
        Fixtures.stories(tmp.resolve("models"));
        Store store = Store.open(tmp.resolve("home"));
        Fixtures.create(store, tmp, "base", "FROM models/stories260K.gguf\n");
        Path data = SharedData.require("arc-easy").getParent();
        AuditGates gates = new AuditGates(ModelOpener.RAW, EvalCache.of(store), data, options, Audit.Listener.NONE);

        Plinthfile failing = Plinthfile.read(Fixtures.write(tmp.resolve("failing.Plinthfile"),
                "FROM base\nSYSTEM s\nAUDIT arc-easy acc >= 0.99\nAUDIT arc-easy acc_norm >= 0\n"));
        ProductException e = assertThrows(ProductException.class, () -> ProductCreator.create(store,
                ProductName.parse("strict"), failing, false, ProductCreator.Listener.NONE, KnowledgePacker.NONE, gates));
        assertTrue(e.getMessage().contains("strict:latest fails a gate of"), e.getMessage());
        assertTrue(e.getMessage().matches(".*AUDIT arc-easy acc >= 0.99 \\(line 3\\): acc is 0\\.\\d{4} ± 0\\.\\d{4}.*"), e.getMessage());
        assertFalse(e.getMessage().contains("acc_norm >= 0"), "only the failing gate is named");
        assertFalse(store.contains(ProductName.parse("strict")), "a product that fails a gate is not stored");

        Plinthfile passing = Plinthfile.read(Fixtures.write(tmp.resolve("passing.Plinthfile"),
                "FROM base\nSYSTEM s\nAUDIT arc-easy acc >= 0\nAUDIT no-regression arc-easy\n"));
        Product p = ProductCreator.create(store, ProductName.parse("lenient"), passing, false, ProductCreator.Listener.NONE, KnowledgePacker.NONE, gates);
        JsonNode audit = p.audit().orElseThrow();
        assertEquals(2, audit.path("gates").size());
        assertTrue(audit.path("gates").get(1).path("passed").asBoolean());
        assertEquals("lenient:latest", audit.path("node").path("name").asText());
        assertNotEquals(p.digest(), p.lineageDigest(), "the audit layer is annotated with the product it examined");

        Plinthfile fromFile = Plinthfile.read(Fixtures.write(tmp.resolve("file.Plinthfile"),
                "FROM models/stories260K.gguf\nAUDIT no-regression arc-easy\n"));
        PlinthfileException noParent = assertThrows(PlinthfileException.class, () -> ProductCreator.create(store,
                ProductName.parse("x"), fromFile, false, ProductCreator.Listener.NONE, KnowledgePacker.NONE, gates));
        assertEquals(2, noParent.line());
        Plinthfile unknown = Plinthfile.read(Fixtures.write(tmp.resolve("unknown.Plinthfile"),
                "FROM base\nAUDIT arc-easy bleu >= 1\n"));
        PlinthfileException noMetric = assertThrows(PlinthfileException.class, () -> ProductCreator.create(store,
                ProductName.parse("x"), unknown, false, ProductCreator.Listener.NONE, KnowledgePacker.NONE, gates));
        assertTrue(noMetric.getMessage().contains("task arc-easy has no metric bleu; it reports acc, acc_norm"), noMetric.getMessage());
        assertThrows(PlinthfileException.class, () -> ProductCreator.create(store, ProductName.parse("y"), passing, false,
                ProductCreator.Listener.NONE), "gates need a gatekeeper");
        assertTrue(Files.isDirectory(store.root().resolve("cache").resolve("eval")));
    }
}
