package dev.plinth.train.corpus;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CorpusSourceTest {

    @TempDir
    Path dir;

    private static List<String> texts(CorpusSource s) throws IOException {
        List<String> out = new ArrayList<>();
        s.forEach(d -> out.add(d.text()));
        return out;
    }

    @Test
    void partsReadInOrderAreTheWholeSource() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("mixed"));
        Files.writeString(folder.resolve("b.md"), "b one\n\nb two\n");
        Files.writeString(folder.resolve("a.jsonl"), "{\"text\": \"a1\"}\n{\"text\": \"a2\"}\n");
        Files.writeString(Files.createDirectories(folder.resolve("sub")).resolve("c.txt"), "c\n");
        Files.writeString(folder.resolve("skipped.bin"), "x");
        for (CorpusSource s : List.of(new CorpusSource.Auto("m", folder, Set.of("md", "txt"), "text", true, 1),
                new CorpusSource.Text("t", folder, Set.of("md", "txt"), false, 1))) {
            List<String> fromParts = new ArrayList<>();
            for (CorpusSource part : s.parts()) {
                assertTrue(part.parts().equals(List.of(part)), "a part is one unit: " + part);
                fromParts.addAll(texts(part));
            }
            assertEquals(texts(s), fromParts);
        }
        assertEquals(3, new CorpusSource.Auto("m", folder, Set.of("md", "txt"), "text", true, 1).parts().size());
    }

    @Test
    void jsonlTakesStringFieldSkipsOthersAndToleratesBadUtf8() throws IOException {
        Path f = dir.resolve("x.jsonl");
        byte[] bad = "{\"t\": \"caf\u00e9 \u00ff\"}\r\n".getBytes(StandardCharsets.UTF_8);
        bad[bad.length - 6] = (byte) 0xff; // the 0xc3 0xbf of U+00FF becomes a stray lead byte
        String body = "{\"t\": \"one\", \"u\": 1}\n\n{\"u\": \"no t\"}\r{\"t\": 5}\n[1, 2]\n";
        Files.write(f, concat(body.getBytes(StandardCharsets.UTF_8), bad));
        List<String> got = texts(new CorpusSource.Jsonl("j", f, "t", 1));
        assertEquals(2, got.size());
        assertEquals("one", got.get(0));
        assertTrue(got.get(1).startsWith("caf\u00e9 ") && got.get(1).contains("\uFFFD"), got.get(1));
    }

    @Test
    void jsonlNamesTheBadLine() throws IOException {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"t\": \"a\"}\n{\"t\": \"b\"}\n\n{\"t\": oops}\n");
        IOException e = assertThrows(IOException.class, () -> texts(new CorpusSource.Jsonl("j", f, "t", 1)));
        assertTrue(e.getMessage().contains("bad.jsonl:4"), e.getMessage());
    }

    @Test
    void paragraphsSplitOnBlankLinesWithAnyLineEnding() throws IOException {
        Path f = dir.resolve("p.txt");
        Files.writeString(f, "a1\r\na2\r\n\r\n\r\nb1\rb2\r   \rc1\n");
        assertEquals(List.of("a1\na2\n", "b1\nb2\n", "c1\n"), texts(new CorpusSource.Text("p", f, Set.of(), true, 1)));
        assertEquals(1, texts(new CorpusSource.Text("p", f, Set.of(), false, 1)).size());
    }

    @Test
    void overlongLineIsCutNotLoaded() throws IOException {
        Path f = dir.resolve("long.txt");
        Files.writeString(f, "x".repeat(5000) + "\nshort\n");
        try (BoundedLines r = new BoundedLines(f, 100)) {
            assertEquals(100, r.next().length());
            assertEquals("short", r.next());
            assertEquals(null, r.next());
        }
    }

    @Test
    void folderFiltersByExtensionInSortedOrder() throws IOException {
        Files.writeString(dir.resolve("b.md"), "B");
        Files.writeString(dir.resolve("a.txt"), "A");
        Files.writeString(dir.resolve("c.bin"), "C");
        assertEquals(List.of("A", "B"), texts(new CorpusSource.Text("f", dir, Set.of("md", "TXT"), false, 1)));
        assertThrows(IllegalArgumentException.class, () -> new CorpusSource.Text("f", dir, Set.of(), false, -1));
        assertThrows(IllegalArgumentException.class, () -> new CorpusSource.Archive("f", dir, Set.of(), Double.NaN));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void autoReadsEachFileByItsExtensionInPathOrder() throws IOException {
        Path root = dir.resolve("mixed");
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("a.txt"), "first para\n\nsecond para\n");
        Files.writeString(root.resolve("b.jsonl"), "{\"text\": \"from jsonl\"}\n{\"other\": \"skipped\"}\n");
        Files.write(root.resolve("c.bin"), new byte[] {0, 1, 2});
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(Files.newOutputStream(root.resolve("sub/code.jar")))) {
            z.putNextEntry(new java.util.zip.ZipEntry("X.java"));
            z.write("class X {}".getBytes(StandardCharsets.UTF_8));
            z.putNextEntry(new java.util.zip.ZipEntry("X.class"));
            z.write(new byte[] {(byte) 0xca, (byte) 0xfe});
        }
        Files.writeString(root.resolve("sub/notes.md"), "# notes");
        List<String> paragraphs = texts(new CorpusSource.Auto("m", root, CorpusSource.Auto.DEFAULT_EXTENSIONS, "text", true, 1));
        assertEquals(List.of("first para\n", "second para\n", "from jsonl", "class X {}", "# notes\n"), paragraphs);
        List<String> files = texts(new CorpusSource.Auto("m", root.resolve("a.txt"), Set.of("md"), "text", false, 1));
        assertEquals(List.of("first para\n\nsecond para\n"), files, "a named file is read whatever the extensions");
        assertThrows(IllegalArgumentException.class, () -> new CorpusSource.Auto("m", root, Set.of(), "text", false, -1));
    }
}
