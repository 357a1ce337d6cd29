package dev.plinth.knowledge;

import dev.plinth.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;

/** Small source files of every kind, written by the tests, and the embedders they use. */
final class TestFiles {
    private static KnowledgeEmbedder minilm;
    private static KnowledgeEmbedder tiniest;

    private TestFiles() {
    }

    /** PLINTH_HOME of the tests (surefire sets it to a folder under target/). */
    static Path home() {
        String home = System.getenv("PLINTH_HOME");
        return Path.of(home != null ? home : "target/test-plinth-home");
    }

    /** The default embedder (all-MiniLM-L6-v2 from the bundled artifact), opened once per JVM. */
    static synchronized KnowledgeEmbedder minilm() throws IOException {
        if (minilm == null) {
            minilm = KnowledgeEmbedder.openDefault(home());
        }
        return minilm;
    }

    /** bert-tiniest (a 4-wide BERT from the shared data): fast, for tests where meaning does not matter. */
    static synchronized KnowledgeEmbedder tiniest() throws IOException {
        if (tiniest == null) {
            tiniest = KnowledgeEmbedder.openModel(SharedData.require("models/bert-tiniest"));
        }
        return tiniest;
    }

    static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    static final String TEXT = """
            Hospital Visiting Policy
            ************************

            Visitors are welcome between eight in the morning and eight in the evening.
            Children under twelve must be accompanied by an adult at all times.

            1.1. Quiet hours

            Quiet hours run from nine in the evening until seven in the morning, when
            lights are dimmed on every ward and televisions are switched off.

              * Mobile telephones must be set to silent.
              * Flowers are not allowed in the intensive care unit.
            """;

    static final String MARKDOWN = """
            # Medication Guide

            Nurses record every dose in the electronic chart.

            ## Controlled drugs

            - Two nurses check each controlled drug before it is given.
            - The cabinet key stays with the nurse in charge.

            ```
            dose = weight * rate
            ```
            """;

    static final String HTML = """
            <!DOCTYPE html>
            <html>
            <head><title>Parking at the Hospital</title><style>p { color: red }</style></head>
            <body>
            <h1>Parking</h1>
            <p>The multi-storey car park opens at six and
            closes at midnight.</p>
            <ul>
              <li>Blue badge holders park free of charge.</li>
              <li>Staff use the north car park.</li>
            </ul>
            <script>var ignored = "tracking code";</script>
            </body>
            </html>
            """;

    static final List<String> PDF_PAGE_1 = List.of("Infection Control Manual", "Wash your hands before and after every patient contact.");
    static final List<String> PDF_PAGE_2 = List.of("Isolation rooms", "Patients with measles are nursed in a negative pressure room.");

    static final String JSONL = """
            {"doc_id": "faq/1", "title": "Meals", "text": "Breakfast is served at half past seven on every ward."}
            {"doc_id": "faq/2", "text": "The chaplaincy offers a quiet room on the ground floor.\\n\\nIt is open day and night."}
            {"text": "a record without an id"}
            """;

    /** One file of each kind, plus files ingest must skip; returns the folder. */
    static Path corpus(Path folder) throws IOException {
        write(folder.resolve("visiting.txt"), TEXT);
        write(folder.resolve("guide.md"), MARKDOWN);
        write(folder.resolve("parking.html"), HTML);
        write(folder.resolve("faq.jsonl"), JSONL);
        pdf(folder.resolve("infection.pdf"), "Infection Control", PDF_PAGE_1, PDF_PAGE_2);
        Files.writeString(folder.resolve("broken.pdf"), "%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage without a trailer\n");
        encryptedPdf(folder.resolve("secret.pdf"));
        byte[] binary = new byte[4096];
        new Random(7).nextBytes(binary);
        binary[10] = 0;
        Files.write(folder.resolve("image.dat"), binary);
        Files.write(folder.resolve("latin1.txt"), "caf\u00e9 au lait".getBytes(StandardCharsets.ISO_8859_1));
        return folder;
    }

    /** A PDF with one page per list of lines. */
    @SafeVarargs
    static Path pdf(Path file, String title, List<String>... pages) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            for (List<String> lines : pages) {
                PDPage page = new PDPage();
                doc.addPage(page);
                try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                    cs.beginText();
                    cs.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
                    cs.newLineAtOffset(72, 720);
                    for (String line : lines) {
                        cs.showText(line);
                        cs.newLineAtOffset(0, -18);
                    }
                    cs.endText();
                }
            }
            doc.getDocumentInformation().setTitle(title);
            doc.save(file.toFile());
        }
        return file;
    }

    static void encryptedPdf(Path file) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            doc.addPage(new PDPage());
            StandardProtectionPolicy policy = new StandardProtectionPolicy("owner-secret", "user-secret", new AccessPermission());
            policy.setEncryptionKeyLength(128);
            doc.protect(policy);
            doc.save(file.toFile());
        }
    }
}
