package dev.plinth.train.corpus;

import dev.plinth.SharedData;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CorpusBuilderTest {

    @TempDir
    static Path tmp;
    static Tokenizer gpt2;
    static String shakespeare;
    static Path shakespeareSlice, humaneval, zip, planted;
    static String a, b, c, bNear;

    @BeforeAll
    static void data() throws IOException {
        gpt2 = Tokenizers.fromTokenizerJson(SharedData.require("models/fake-gpt2/tokenizer.json"));
        shakespeare = Files.readString(SharedData.require("tiny-shakespeare/tiny-shakespeare-train.txt"));
        shakespeareSlice = tmp.resolve("shakespeare.txt");
        Files.writeString(shakespeareSlice, shakespeare.substring(0, 20_000));

        humaneval = tmp.resolve("humaneval.jsonl");
        List<String> lines = Files.readAllLines(SharedData.require("humaneval/HumanEval.jsonl")).subList(0, 30);
        Files.write(humaneval, lines);

        zip = tmp.resolve("code.jar");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            String[] names = {"Alpha", "Beta", "Gamma", "Delta"};
            for (int i = 0; i < names.length; i++) {
                put(z, "src/" + names[i] + ".java", javaClass(names[i], i));
            }
            put(z, "src/copy/Alpha.java", javaClass("Alpha", 0));
            put(z, "README.txt", "not code");
            put(z, "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n");
        }

        a = words(150_000, 170);
        b = words(160_000, 170);
        c = words(170_000, 170);
        bNear = changeWords(b, 3);
        planted = tmp.resolve("planted");
        Files.createDirectories(planted);
        Files.writeString(planted.resolve("a.txt"), a);
        Files.writeString(planted.resolve("a_copy.txt"), "\uFEFF" + a.replace("\n", "\r\n") + "\n\n");
        Files.writeString(planted.resolve("b.txt"), b);
        Files.writeString(planted.resolve("b_near.txt"), bNear);
        Files.writeString(planted.resolve("c.md"), c);
        Files.writeString(planted.resolve("empty.txt"), " \u0000\r\n\t");
    }

    private static void put(ZipOutputStream z, String name, String text) throws IOException {
        z.putNextEntry(new ZipEntry(name));
        z.write(text.getBytes(StandardCharsets.UTF_8));
        z.closeEntry();
    }

    private static String javaClass(String name, int variant) {
        StringBuilder sb = new StringBuilder("package demo;\n\npublic final class " + name + " {\n");
        String[] ops = {"+", "*", "-", "^"};
        for (int m = 0; m < 6; m++) {
            sb.append("    static int ").append(name.toLowerCase()).append(m).append("(int x").append(variant).append(", int y) {\n")
                    .append("        return x").append(variant).append(' ').append(ops[(m + variant) % 4]).append(" y * ")
                    .append(m * 7 + variant * 13).append(";\n    }\n");
        }
        return sb.append("}\n").toString();
    }

    /** About {@code n} words of Shakespeare starting at a line boundary near {@code from}. */
    private static String words(int from, int n) {
        int start = shakespeare.indexOf('\n', from) + 1;
        int end = start;
        for (int w = 0; w < n; w++) {
            end = shakespeare.indexOf(' ', end + 1);
        }
        return shakespeare.substring(start, end);
    }

    private static String changeWords(String text, int changes) {
        String[] parts = text.split(" ", -1);
        for (int i = 1; i <= changes; i++) {
            int at = i * parts.length / (changes + 1);
            parts[at] = "zanzibar" + i;
        }
        return String.join(" ", parts);
    }

    private static CorpusBuilder builder() {
        return new CorpusBuilder(gpt2, "fake-gpt2")
                .add(new CorpusSource.Text("shakespeare", shakespeareSlice, Set.of(), true, 1.0))
                .add(new CorpusSource.Jsonl("humaneval", humaneval, "prompt", 2.0))
                .add(new CorpusSource.Archive("code", zip, Set.of("java"), 1.0))
                .add(new CorpusSource.Text("planted", planted, Set.of("txt", "md"), false, 1.0));
    }

    private static List<int[]> documents(Path dir, List<String> shards) throws IOException {
        List<int[]> docs = new ArrayList<>();
        for (String name : shards) {
            try (TokenShard s = TokenShard.open(dir.resolve(name))) {
                int start = 0;
                for (int i = 0; i < s.tokenCount(); i++) {
                    if (s.token(i) == s.eosId()) {
                        int[] ids = new int[i - start];
                        for (int k = 0; k < ids.length; k++) {
                            ids[k] = s.token(start + k);
                        }
                        docs.add(ids);
                        start = i + 1;
                    }
                }
            }
        }
        return docs;
    }

    private static long shardTokens(Path dir, List<String> shards) throws IOException {
        long n = 0;
        for (String name : shards) {
            try (TokenShard s = TokenShard.open(dir.resolve(name))) {
                n += s.tokenCount();
            }
        }
        return n;
    }

    @Test
    void cardCountsAddUp() throws IOException {
        Path out = tmp.resolve("out-counts");
        List<CorpusBuilder.Progress> reports = new ArrayList<>();
        DatasetCard card = builder().validationFraction(0.2).seed(3).shardTokens(4096).progress(reports::add).build(out);

        long trainTokens = 0, validationTokens = 0, validationDocs = 0, trainCopies = 0;
        for (DatasetCard.SourceStats s : card.sources()) {
            assertEquals(s.documentsRead(), s.emptyDropped() + s.exactDuplicates() + s.nearDuplicates()
                    + s.trainDocuments() + s.validationDocuments(), s.name());
            assertTrue(s.bytesKept() + s.exactDuplicateBytes() + s.nearDuplicateBytes() <= s.bytesRead(), s.name());
            trainTokens += s.trainTokens();
            validationTokens += s.validationTokens();
            validationDocs += s.validationDocuments();
            trainCopies += s.trainCopies();
        }
        assertEquals(card.trainTokens(), trainTokens);
        assertEquals(card.validationTokens(), validationTokens);
        assertEquals(card.trainDocuments(), trainCopies);
        assertEquals(card.validationDocuments(), validationDocs);
        assertEquals(trainTokens, shardTokens(out, card.trainShards()));
        assertEquals(validationTokens, shardTokens(out, card.validationShards()));
        assertEquals(card.trainDocuments(), documents(out, card.trainShards()).size());
        assertEquals(card.validationDocuments(), documents(out, card.validationShards()).size());
        assertTrue(card.trainShards().size() > 1, "4096-id shards: several expected");

        DatasetCard.SourceStats he = card.sources().get(1);
        assertEquals(30, he.documentsRead());
        assertEquals(2 * he.trainDocuments(), he.trainCopies(), "weight 2 writes each training document twice");
        DatasetCard.SourceStats code = card.sources().get(2);
        assertEquals(5, code.documentsRead(), "only .java entries are read");
        assertEquals(1, code.exactDuplicates());

        assertEquals(card, DatasetCard.read(out.resolve("card.json")));
        String md = Files.readString(out.resolve("card.md"));
        assertTrue(md.contains("| humaneval | jsonl:prompt | 2.0 | 30 |"), md);
        CorpusBuilder.Progress last = reports.getLast();
        assertEquals(trainTokens + validationTokens, last.tokensWritten());
        assertEquals("planted", last.source());
        System.out.println(md);
    }

    @Test
    void plantedDuplicatesRemovedDistinctKeptAndIdsRoundTrip() throws IOException {
        Path out = tmp.resolve("out-planted");
        DatasetCard card = new CorpusBuilder(gpt2, "fake-gpt2")
                .add(new CorpusSource.Text("planted", planted, Set.of("txt", "md"), false, 1.0))
                .validationFraction(0).threads(2).build(out);
        DatasetCard.SourceStats s = card.sources().getFirst();
        assertEquals(6, s.documentsRead());
        assertEquals(1, s.emptyDropped());
        assertEquals(1, s.exactDuplicates(), "a_copy (BOM, CRLF, trailing blank lines) normalises to a");
        assertEquals(1, s.nearDuplicates(), "b_near differs from b in 3 words");
        assertEquals(3, s.trainDocuments());
        List<int[]> docs = documents(out, card.trainShards());
        List<String> expected = List.of(a, b, c); // file order: a, a_copy, b, b_near, c.md, empty
        assertEquals(3, docs.size());
        for (int i = 0; i < 3; i++) {
            String norm = TextNormalizer.normalize(expected.get(i));
            assertArrayEquals(gpt2.encode(norm, false, false), docs.get(i));
            assertEquals(norm, gpt2.decode(docs.get(i)));
        }
    }

    @Test
    void splitIsDeterministicAndIndependentOfOrderAndThreads() throws IOException {
        DatasetCard one = builder().validationFraction(0.25).seed(11).threads(1).shardTokens(1 << 20).build(tmp.resolve("s1"));
        DatasetCard two = builder().validationFraction(0.25).seed(11).threads(4).shardTokens(1 << 20).build(tmp.resolve("s2"));
        assertEquals(one, two);
        for (String name : one.validationShards()) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("s1").resolve(name)), Files.readAllBytes(tmp.resolve("s2").resolve(name)));
        }
        for (String name : one.trainShards()) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("s1").resolve(name)), Files.readAllBytes(tmp.resolve("s2").resolve(name)));
        }
        Set<String> held = decoded(tmp.resolve("s1"), one.validationShards());
        long kept = one.sources().stream().mapToLong(s -> s.trainDocuments() + s.validationDocuments()).sum();
        assertTrue(held.size() > kept * 0.1 && held.size() < kept * 0.4, held.size() + " of " + kept);

        // Reversed source order: the same documents are held out.
        CorpusBuilder reversed = new CorpusBuilder(gpt2, "fake-gpt2").validationFraction(0.25).seed(11)
                .add(new CorpusSource.Jsonl("humaneval", humaneval, "prompt", 2.0))
                .add(new CorpusSource.Text("shakespeare", shakespeareSlice, Set.of(), true, 1.0));
        DatasetCard r = reversed.build(tmp.resolve("s3"));
        Set<String> heldR = decoded(tmp.resolve("s3"), r.validationShards());
        DatasetCard rest = new CorpusBuilder(gpt2, "fake-gpt2").validationFraction(0.25).seed(11)
                .add(new CorpusSource.Archive("code", zip, Set.of("java"), 1.0))
                .add(new CorpusSource.Text("planted", planted, Set.of("txt", "md"), false, 1.0))
                .build(tmp.resolve("s5"));
        Set<String> union = new HashSet<>(heldR);
        union.addAll(decoded(tmp.resolve("s5"), rest.validationShards()));
        assertEquals(held, union, "a document is held out whatever the order and company of its source");

        DatasetCard other = builder().validationFraction(0.25).seed(12).build(tmp.resolve("s4"));
        assertNotEquals(held, decoded(tmp.resolve("s4"), other.validationShards()), "another seed gives another split");
    }

    private static Set<String> decoded(Path dir, List<String> shards) throws IOException {
        Set<String> out = new HashSet<>();
        for (int[] ids : documents(dir, shards)) {
            out.add(gpt2.decode(ids));
        }
        return out;
    }

    @Test
    void normalizerCanonicalisesText() {
        assertEquals("caf\u00e9\nx\ty\nz", TextNormalizer.normalize("\uFEFFcafe\u0301\r\nx\ty\u0007\rz\u0085\n"));
    }

    @Test
    void minHashFindsNearCopiesNotDistinctText() {
        NearDuplicates nd = new NearDuplicates(NearDuplicates.Parameters.DEFAULT);
        assertTrue(nd.addIfNew(a));
        assertTrue(nd.addIfNew(b));
        assertTrue(nd.addIfNew(c));
        assertTrue(!nd.addIfNew(changeWords(a, 2)));
        assertTrue(!nd.addIfNew(changeWords(c, 4)));
        assertTrue(nd.addIfNew(words(180_000, 170)));
        int[] s1 = nd.signature(a);
        assertArrayEquals(s1, new NearDuplicates(NearDuplicates.Parameters.DEFAULT).signature(a), "seeded: same signature");
        assertTrue(NearDuplicates.similarity(s1, nd.signature(b)) < 0.2);
        assertTrue(Arrays.stream(s1).distinct().count() > 100);
    }
}
