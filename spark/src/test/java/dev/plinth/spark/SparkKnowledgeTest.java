package dev.plinth.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.SharedData;
import dev.plinth.cli.ScaleOut;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code plinth knowledge create} and {@code knowledge add} with the files read, chunked, embedded and written as
 * Lucene index shards on Spark executors, the shards merged by the driver, report the same files and chunks and
 * make a knowledge base that {@code plinth knowledge search} answers as it answers the one built on one machine:
 * the same hits in the same order, scores equal to float rounding, by BM25, by vectors and both.
 */
class SparkKnowledgeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start("knowledge-test");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void createAndAddMergeTheExecutorsShardsIntoTheBaseOneMachineBuilds() throws IOException {
        Path docs = Files.createDirectories(tmp.resolve("docs"));
        List<String> faq = Files.readAllLines(SharedData.require("rag-debian-docs/docs/debian-faq-answers.jsonl"));
        Files.write(docs.resolve("faq.jsonl"), faq.subList(0, 40));
        Files.writeString(docs.resolve("notes.md"), "# Notes\n\nThe mirror is updated nightly.\n\n## Keys\n\nArchive keys rotate yearly.\n");
        Files.write(docs.resolve("photo.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8, 0, 1, 2});
        String suffix = Long.toString(System.nanoTime());
        String local = "local-" + suffix;
        String distributed = "spark-" + suffix;
        String[] from = {"--from", docs.toString(), "--id-field", "doc_id", "--chunk-tokens", "64", "--overlap", "8"};
        SparkProgress progress = SparkProgress.listen(spark);
        String report = assertSameReports(
                PlinthRun.of(ScaleOut.LOCAL, with(new String[] {"knowledge", "create", local}, from)),
                PlinthRun.of(new SparkScaleOut(spark), with(new String[] {"knowledge", "create", distributed}, from)));
        assertTrue(report.contains("1 skipped"), report);
        int chunks = Integer.parseInt(report.replaceAll("(?s).* (\\d+) chunks embedded.*", "$1"));
        assertTrue(chunks > 2 * 32, report + ": several encoder batches");
        assertTrue(progress.descriptions().stream().anyMatch(d -> d.matches("knowledge: embed \\d+ chunk\\(s\\) and write [2-9] index shard\\(s\\)")),
                "several shards merged: " + progress.descriptions());
        progress.awaitAccumulator("knowledge: chunks embedded", chunks);
        progress.awaitAccumulator("knowledge: files read and chunked", 3);
        assertSameSearches(local, distributed, "What is Debian?", "How are archive keys rotated?", "free software licence");

        Files.writeString(docs.resolve("notes.md"), "# Notes\n\nThe mirror is updated hourly.\n\n## Keys\n\nArchive keys rotate monthly"
                + " and are signed by two developers.\n");
        Files.write(docs.resolve("more.jsonl"), faq.subList(40, 48));
        Files.delete(docs.resolve("photo.jpg"));
        String added = assertSameReports(PlinthRun.of(ScaleOut.LOCAL, "knowledge", "add", local),
                PlinthRun.of(new SparkScaleOut(spark), "knowledge", "add", distributed));
        assertTrue(added.startsWith("1 added, 1 changed, 1 unchanged"), added);
        assertSameSearches(local, distributed, "How are archive keys rotated?", "How often is the mirror updated?", "package manager");
    }

    @Test
    void filesAreReadThroughHadoopFileSystems() throws IOException {
        Path docs = Files.createDirectories(tmp.resolve("hadoop-docs"));
        Files.writeString(docs.resolve("a.md"), "# Mirrors\n\nThe mirror is updated nightly from the archive.\n");
        Files.writeString(Files.createDirectories(docs.resolve("sub")).resolve("b.txt"), "Archive keys rotate yearly.\n\nKeys are signed.\n");
        Files.writeString(Files.createDirectories(docs.resolve(".hidden")).resolve("c.md"), "# Hidden\n\nNot ingested.\n");
        String embedder = SharedData.require("models/bert-tiniest").toString();
        String suffix = Long.toString(System.nanoTime());
        String[] options = {"--embedder", embedder, "--chunk-tokens", "32", "--overlap", "4"};
        String report = assertSameReports(
                PlinthRun.of(ScaleOut.LOCAL, with(new String[] {"knowledge", "create", "paths-" + suffix, "--from", docs.toString()}, options)),
                PlinthRun.of(new SparkScaleOut(spark), with(new String[] {"knowledge", "create", "uris-" + suffix, "--from",
                        docs.toAbsolutePath().toUri().toString()}, options)));
        assertTrue(report.startsWith("2 added"), report);
        PlinthRun show = PlinthRun.of(ScaleOut.LOCAL, "knowledge", "show", "uris-" + suffix);
        assertTrue(show.out().contains("file:" + docs.toAbsolutePath()), show.out());
        assertSameSearches("paths-" + suffix, "uris-" + suffix, "archive keys", "mirror updated");

        PlinthRun unknown = PlinthRun.of(new SparkScaleOut(spark), with(new String[] {"knowledge", "create", "none-" + suffix,
                "--from", "nosuch://host/docs"}, options));
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("no Hadoop file system for scheme 'nosuch'"), unknown.err());
        PlinthRun local = PlinthRun.of(ScaleOut.LOCAL, with(new String[] {"knowledge", "create", "local-uri-" + suffix,
                "--from", docs.toAbsolutePath().toUri().toString()}, options));
        assertEquals(1, local.code());
        assertTrue(local.err().contains("is a URI; plinth reads files from local paths"), local.err());
    }

    /** The two runs succeeded with the same report (the time aside); returns it. */
    private static String assertSameReports(PlinthRun local, PlinthRun distributed) {
        assertEquals(0, local.code(), local.err());
        assertEquals(0, distributed.code(), distributed.err());
        String report = local.out().replaceAll(" embedded in [^\n]*", " embedded");
        assertEquals(report, distributed.out().replaceAll(" embedded in [^\n]*", " embedded"), "the same files, chunks, warnings, skips");
        return report;
    }

    private static void assertSameSearches(String local, String distributed, String... queries) throws IOException {
        for (String query : queries) {
            for (String mode : List.of("bm25", "vector", "hybrid")) {
                String[] search = {"--k", "5", "--mode", mode, "--json"};
                PlinthRun a = PlinthRun.of(ScaleOut.LOCAL, with(new String[] {"knowledge", "search", local, query}, search));
                PlinthRun b = PlinthRun.of(ScaleOut.LOCAL, with(new String[] {"knowledge", "search", distributed, query}, search));
                assertEquals(0, a.code(), a.err());
                assertEquals(0, b.code(), b.err());
                JsonNode expected = JSON.readTree(a.out());
                JsonNode actual = JSON.readTree(b.out());
                String what = query + " (" + mode + ")";
                assertTrue(expected.size() > 0, what);
                assertEquals(expected.size(), actual.size(), what);
                for (int i = 0; i < expected.size(); i++) {
                    JsonNode x = expected.get(i);
                    JsonNode y = actual.get(i);
                    assertEquals(x.get("doc_id").asText() + ":" + x.get("first_line"), y.get("doc_id").asText() + ":" + y.get("first_line"),
                            what + " #" + i);
                    assertEquals(x.get("text"), y.get("text"), what + " #" + i);
                    assertEquals(x.get("score").asDouble(), y.get("score").asDouble(), 1e-6, what + " #" + i);
                }
            }
        }
    }

    private static String[] with(String[] args, String... more) {
        String[] all = Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }
}
