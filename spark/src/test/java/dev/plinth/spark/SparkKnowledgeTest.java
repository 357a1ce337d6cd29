package dev.plinth.spark;

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
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code plinth knowledge create} with its files read, chunked and embedded on Spark executors reports the
 * same files and chunks and makes a knowledge base that {@code plinth knowledge search} answers exactly as it
 * answers the one built on one machine.
 */
class SparkKnowledgeTest {

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
    void searchAnswersAsOverTheSingleMachineBase() throws IOException {
        Path docs = Files.createDirectories(tmp.resolve("docs"));
        List<String> faq = Files.readAllLines(SharedData.require("rag-debian-docs/docs/debian-faq-answers.jsonl"));
        Files.write(docs.resolve("faq.jsonl"), faq.subList(0, 40));
        Files.writeString(docs.resolve("notes.md"), "# Notes\n\nThe mirror is updated nightly.\n\n## Keys\n\nArchive keys rotate yearly.\n");
        Files.write(docs.resolve("photo.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8, 0, 1, 2});
        String suffix = Long.toString(System.nanoTime());
        String[] from = {"--from", docs.toString(), "--id-field", "doc_id", "--chunk-tokens", "64", "--overlap", "8"};
        PlinthRun local = PlinthRun.of(ScaleOut.LOCAL, with(new String[] {"knowledge", "create", "local-" + suffix}, from));
        PlinthRun distributed = PlinthRun.of(new SparkScaleOut(spark), with(new String[] {"knowledge", "create", "spark-" + suffix}, from));
        assertEquals(0, local.code(), local.err());
        assertEquals(0, distributed.code(), distributed.err());
        String report = local.out().replaceAll(" embedded in [^\n]*", " embedded");
        assertEquals(report, distributed.out().replaceAll(" embedded in [^\n]*", " embedded"), "the same files, chunks, warnings, skips");
        assertTrue(report.contains("1 skipped"), report);
        String chunks = report.substring(0, report.indexOf(" embedded"));
        assertTrue(Integer.parseInt(chunks.replaceAll(".* (\\d+) chunks$", "$1")) > 2 * 32, chunks + ": several encoder batches");

        for (String query : List.of("What is Debian?", "How are archive keys rotated?", "free software licence")) {
            for (String mode : List.of("hybrid", "vector")) {
                String[] search = {"--k", "5", "--mode", mode, "--json"};
                PlinthRun a = PlinthRun.of(ScaleOut.LOCAL, with(new String[] {"knowledge", "search", "local-" + suffix, query}, search));
                PlinthRun b = PlinthRun.of(ScaleOut.LOCAL, with(new String[] {"knowledge", "search", "spark-" + suffix, query}, search));
                assertEquals(0, a.code(), a.err());
                assertEquals(a.out(), b.out(), query + " (" + mode + ")");
            }
        }
    }

    private static String[] with(String[] args, String... more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }
}
