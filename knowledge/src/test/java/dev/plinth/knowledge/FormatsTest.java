package dev.plinth.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each format read by its content, the skipped files with their reasons, and the blocks and lines they give. */
class FormatsTest {

    @TempDir
    Path tmp;

    @Test
    void typesAreToldByContentNotName() throws Exception {
        assertEquals(ContentType.HTML, ContentType.detect(TestFiles.HTML.getBytes(StandardCharsets.UTF_8)));
        assertEquals(ContentType.MARKDOWN, ContentType.detect(TestFiles.MARKDOWN.getBytes(StandardCharsets.UTF_8)));
        assertEquals(ContentType.TEXT, ContentType.detect(TestFiles.TEXT.getBytes(StandardCharsets.UTF_8)));
        assertEquals(ContentType.JSONL, ContentType.detect(TestFiles.JSONL.getBytes(StandardCharsets.UTF_8)));
        assertEquals(ContentType.PDF, ContentType.detect(Files.readAllBytes(
                TestFiles.pdf(tmp.resolve("named.txt"), "t", List.of("a line")))));
        assertEquals("binary file (a NUL byte at offset 2)",
                assertThrows(UnreadableFileException.class, () -> ContentType.detect(new byte[] {'a', 'b', 0, 'c'})).getMessage());
        assertEquals("not valid UTF-8 text",
                assertThrows(UnreadableFileException.class, () -> ContentType.detect(new byte[] {'c', 'a', 'f', (byte) 0xE9})).getMessage());
    }

    @Test
    void plainTextHeadingsParagraphsAndListItems() throws Exception {
        List<Block> blocks = read(TestFiles.TEXT).documents().getFirst().blocks();
        assertEquals(List.of(Block.Kind.HEADING, Block.Kind.PARAGRAPH, Block.Kind.HEADING, Block.Kind.PARAGRAPH,
                Block.Kind.LIST_ITEM, Block.Kind.LIST_ITEM), blocks.stream().map(Block::kind).toList());
        assertEquals(new Piece("Hospital Visiting Policy", 1, 2, 0), blocks.get(0).pieces().getFirst());
        assertEquals(2, blocks.get(2).level(), "1.1. is a second-level heading");
        assertEquals(new Piece("* Flowers are not allowed in the intensive care unit.", 13, 13, 0), blocks.get(5).pieces().getFirst());
        assertEquals("Hospital Visiting Policy", read(TestFiles.TEXT).documents().getFirst().title());
    }

    @Test
    void markdownHeadingsListsAndCode() throws Exception {
        DocumentReader.Result r = read(TestFiles.MARKDOWN);
        assertEquals(ContentType.MARKDOWN, r.type());
        List<Block> blocks = r.documents().getFirst().blocks();
        assertEquals(List.of(Block.Kind.HEADING, Block.Kind.PARAGRAPH, Block.Kind.HEADING, Block.Kind.LIST_ITEM,
                Block.Kind.LIST_ITEM, Block.Kind.CODE), blocks.stream().map(Block::kind).toList());
        assertEquals("Medication Guide", r.documents().getFirst().title());
        assertEquals(new Piece("dose = weight * rate", 11, 11, 0), blocks.get(5).pieces().getFirst());
    }

    @Test
    void htmlBlocksKeepTheirSourceLines() throws Exception {
        DocumentReader.Result r = read(TestFiles.HTML);
        assertEquals(ContentType.HTML, r.type());
        Document d = r.documents().getFirst();
        assertEquals("Parking at the Hospital", d.title());
        assertEquals(List.of(
                new Piece("Parking", 5, 5, 0),
                new Piece("The multi-storey car park opens at six and closes at midnight.", 6, 7, 0),
                new Piece("Blue badge holders park free of charge.", 9, 9, 0),
                new Piece("Staff use the north car park.", 10, 10, 0)),
                d.blocks().stream().flatMap(b -> b.pieces().stream()).toList());
        assertEquals(Block.Kind.LIST_ITEM, d.blocks().get(2).kind());
    }

    @Test
    void pdfPagesAndLines() throws Exception {
        byte[] bytes = Files.readAllBytes(TestFiles.pdf(tmp.resolve("m.pdf"), "Infection Control", TestFiles.PDF_PAGE_1, TestFiles.PDF_PAGE_2));
        Document d = DocumentReader.read(bytes, "m.pdf", "m.pdf", DocumentReader.Options.DEFAULT).documents().getFirst();
        assertEquals("Infection Control", d.title());
        List<Piece> pieces = d.blocks().stream().flatMap(b -> b.pieces().stream()).toList();
        assertEquals(new Piece("Wash your hands before and after every patient contact.", 2, 2, 1), pieces.get(1));
        assertEquals(new Piece("Patients with measles are nursed in a negative pressure room.", 2, 2, 2), pieces.get(3));
    }

    @Test
    void jsonlRecordsAreDocumentsWithTheirIds() throws Exception {
        DocumentReader.Result r = DocumentReader.read(TestFiles.JSONL.getBytes(StandardCharsets.UTF_8), "faq.jsonl", "faq.jsonl",
                new DocumentReader.Options("doc_id", "text", 1 << 20));
        assertEquals(List.of("faq/1", "faq/2"), r.documents().stream().map(Document::id).toList());
        assertEquals(List.of("Meals", "faq/2"), r.documents().stream().map(Document::title).toList());
        assertEquals(List.of("line 3: no 'doc_id' field; skipped"), r.warnings());
        List<Block> second = r.documents().get(1).blocks();
        assertEquals(2, second.size(), "the record's paragraphs stay apart");
        assertEquals(2, second.get(1).pieces().getFirst().firstLine(), "a record's text sits on its line");
    }

    @Test
    void unreadableFilesAreSkippedWithTheirReasons() throws Exception {
        Path docs = TestFiles.corpus(tmp.resolve("docs"));
        Files.writeString(docs.resolve("big.txt"), "word ".repeat(30_000));
        Path kb = tmp.resolve("kb");
        IngestReport r = Ingest.create(kb, "kb", List.of(docs),
                new Ingest.Options(64, 8, "doc_id", "text", 100_000), TestFiles.tiniest(), Ingest.Listener.NONE);
        Map<String, String> skipped = r.skipped().stream()
                .collect(Collectors.toMap(s -> Path.of(s.path()).getFileName().toString(), IngestReport.Skipped::reason));
        assertEquals("binary file (a NUL byte at offset 10)", skipped.get("image.dat"));
        assertEquals("not valid UTF-8 text", skipped.get("latin1.txt"));
        assertEquals("encrypted PDF (it needs a password)", skipped.get("secret.pdf"));
        assertTrue(skipped.get("broken.pdf").startsWith("broken PDF: "), skipped.get("broken.pdf"));
        assertEquals("over the size limit (150000 bytes, at most 100000)", skipped.get("big.txt"));
        assertEquals(5, skipped.size(), r.toText());
        assertEquals(5, r.added().size(), r.toText());
        assertEquals(List.of(docs.resolve("faq.jsonl").toAbsolutePath() + ": line 3: no 'doc_id' field; skipped"), r.warnings());
        assertTrue(Files.readString(kb.resolve(KnowledgeBase.REPORT)).contains("skipped " + docs.resolve("image.dat").toAbsolutePath()
                + ": binary file"), "the report is kept beside the index");
        try (KnowledgeBase base = KnowledgeBase.open(kb)) {
            Map<String, String> types = base.files().stream().collect(Collectors.toMap(
                    f -> Path.of(f.path()).getFileName().toString(), SourceFile::type));
            assertEquals(Map.of("visiting.txt", "text/plain", "guide.md", "text/markdown", "parking.html", "text/html",
                    "faq.jsonl", "application/jsonl", "infection.pdf", "application/pdf"), types);
            assertFalse(base.files().stream().anyMatch(f -> f.sha256().length() != 64));
        }
    }

    private static DocumentReader.Result read(String text) throws Exception {
        return DocumentReader.read(text.getBytes(StandardCharsets.UTF_8), "doc", "doc", DocumentReader.Options.DEFAULT);
    }
}
