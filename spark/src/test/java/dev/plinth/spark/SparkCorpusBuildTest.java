package dev.plinth.spark;

import dev.plinth.SharedData;
import dev.plinth.cli.Main;
import dev.plinth.cli.ScaleOut;
import dev.plinth.train.corpus.DatasetCard;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Spark corpus build writes byte for byte what {@code plinth corpus build} writes, for the same sources and seed. */
class SparkCorpusBuildTest {

    @TempDir
    static Path tmp;
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start("corpus-build-test");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void shardsAndCardAreBitIdenticalToTheSingleMachineBuild() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("mixed"));
        String fortunes = SharedData.require("fortunes/fortunes.jsonl").toString();
        List<String> lines = Files.readAllLines(Path.of(fortunes)).subList(0, 3000);
        Files.write(folder.resolve("fortunes-head.jsonl"), lines);
        Files.write(folder.resolve("fortunes-again.jsonl"), lines.subList(0, 500)); // exact duplicates across files
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(folder.resolve("code.jar")))) {
            for (int i = 0; i < 6; i++) {
                z.putNextEntry(new ZipEntry("src/C" + i + ".java"));
                z.write(("class C" + i + " { int f() { return " + (i % 3) + "; } }\n").getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        Path moby = SharedData.require("moby-dick/moby-dick.txt").toAbsolutePath();
        String[] settings = {"--tokenizer", SharedData.require("models/fake-gpt2/tokenizer.json").toString(),
                "--val-fraction", "0.05", "--seed", "11", "--shard-tokens", "60000"};
        String[] paths = {"--source", "fortunes=" + fortunes + ":0.5", "--source", "moby=" + moby + ":2,paragraphs",
                "--source", "mixed=" + folder + ",ext=java+txt"};
        // the same files through Hadoop's file system API: a file:// URI, and a path on Hadoop's local file system
        // as Hadoop writes it (file:/...)
        String[] uris = {"--source", "fortunes=" + fortunes + ":0.5", "--source", "moby=" + moby.toUri() + ":2,paragraphs",
                "--source", "mixed=file:" + folder.toAbsolutePath() + ",ext=java+txt"};
        Path local = tmp.resolve("local");
        Path distributed = tmp.resolve("spark");
        assertEquals(0, plinth(ScaleOut.LOCAL, concat("corpus", "build", "-o", local.toString()), concat(paths, settings)));
        SparkProgress progress = SparkProgress.listen(spark);
        assertEquals(0, plinth(new SparkScaleOut(spark), concat("corpus", "build", "-o", distributed.toString()), concat(uris, settings)));

        List<String> names = files(local);
        assertEquals(names, files(distributed));
        for (String name : names) {
            assertArrayEquals(Files.readAllBytes(local.resolve(name)), Files.readAllBytes(distributed.resolve(name)), name);
        }
        DatasetCard card = DatasetCard.read(distributed.resolve("card.json"));
        long exact = card.sources().stream().mapToLong(DatasetCard.SourceStats::exactDuplicates).sum();
        long near = card.sources().stream().mapToLong(DatasetCard.SourceStats::nearDuplicates).sum();
        assertTrue(exact >= 500 && near > 0, "duplicates across partitions found: " + exact + " exact, " + near + " near");
        assertTrue(card.trainShards().size() > 3 && !card.validationShards().isEmpty(), card.trainShards().toString());
        assertEquals(3, card.sources().size());

        long read = card.sources().stream().mapToLong(DatasetCard.SourceStats::documentsRead).sum();
        progress.awaitAccumulator("corpus: documents read", read);
        long empty = card.sources().stream().mapToLong(DatasetCard.SourceStats::emptyDropped).sum();
        progress.awaitAccumulator("corpus: duplicates and empty documents removed", exact + near + empty);
        progress.awaitAccumulator("corpus: bytes read (normalised UTF-8)",
                card.sources().stream().mapToLong(DatasetCard.SourceStats::bytesRead).sum());
        assertTrue(progress.descriptions().stream().anyMatch(d -> d.startsWith("corpus: hash and MinHash-sign ")),
                progress.descriptions().toString());
        assertTrue(progress.descriptions().stream().anyMatch(d -> d.startsWith("corpus: tokenize ")), progress.descriptions().toString());
    }

    @Test
    void aMissingPathOrAnUnknownSchemeIsAClearError() throws IOException {
        String tokenizer = SharedData.require("models/fake-gpt2/tokenizer.json").toString();
        Path missing = tmp.resolve("no-such-folder").toAbsolutePath();
        Path earlier = Files.writeString(Files.createDirectories(tmp.resolve("out1")).resolve("card.json"), "{}");
        PlinthRun noFile = PlinthRun.of(new SparkScaleOut(spark), "corpus", "build", "-o", tmp.resolve("out1").toString(),
                "--tokenizer", tokenizer, "--source", "web=" + missing.toUri());
        assertEquals(1, noFile.code());
        assertTrue(noFile.err().contains("no such file or directory: " + missing.toUri()), noFile.err());
        assertTrue(Files.exists(earlier), "an earlier build is kept when a source is missing");
        PlinthRun noScheme = PlinthRun.of(new SparkScaleOut(spark), "corpus", "build", "-o", tmp.resolve("out2").toString(),
                "--tokenizer", tokenizer, "--source", "web=nosuch://host/crawl/");
        assertEquals(1, noScheme.code());
        assertTrue(noScheme.err().contains("no Hadoop file system for scheme 'nosuch'"), noScheme.err());
        PlinthRun local = PlinthRun.of(ScaleOut.LOCAL, "corpus", "build", "-o", tmp.resolve("out3").toString(),
                "--tokenizer", tokenizer, "--source", "web=hdfs://namenode/crawl/");
        assertEquals(1, local.code());
        assertTrue(local.err().contains("hdfs://namenode/crawl/ is a URI; plinth reads sources from local paths"), local.err());
    }

    private static int plinth(ScaleOut scaleOut, String[] command, String[] options) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(concat(command, options), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), InputStream.nullInputStream(), scaleOut);
        if (code != 0) {
            System.err.println(err.toString(StandardCharsets.UTF_8));
        }
        return code;
    }

    private static String[] concat(String... parts) {
        return parts;
    }

    private static String[] concat(String[] a, String[] b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
