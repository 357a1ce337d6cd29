package dev.plinth.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.text.PDFTextStripper;

/**
 * Reads one source file's bytes into documents by their content type ({@link ContentType#detect}):
 * plain text and Markdown ({@link TextStructure}), HTML ({@link HtmlStructure}), PDF (PDFBox, page
 * by page) and JSONL (one document per record, id and text taken from the named fields). A file
 * that is no document raises an {@link UnreadableFileException} with the reason.
 */
final class DocumentReader {

    /**
     * How to read files.
     *
     * @param idField   a JSONL record's id field
     * @param textField a JSONL record's text field
     * @param maxBytes  files larger than this are skipped
     */
    record Options(String idField, String textField, long maxBytes) {
        static final Options DEFAULT = new Options("id", "text", 64L << 20);
    }

    /** A file's documents, its type, and problems with single records that were skipped. */
    record Result(ContentType type, List<Document> documents, List<String> warnings) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private DocumentReader() {
    }

    /**
     * @param fileId    the id of the document a whole file becomes
     * @param fileTitle the title when the content has none (the file name)
     */
    static Result read(byte[] bytes, String fileId, String fileTitle, Options options) throws UnreadableFileException {
        if (bytes.length > options.maxBytes()) {
            throw new UnreadableFileException("over the size limit (" + bytes.length + " bytes, at most " + options.maxBytes() + ")");
        }
        ContentType type = ContentType.detect(bytes);
        String sha = sha256(bytes);
        return switch (type) {
            case PDF -> single(type, pdf(bytes, fileId, fileTitle, sha));
            case HTML -> {
                HtmlStructure html = HtmlStructure.parse(ContentType.utf8(bytes));
                yield single(type, new Document(fileId, html.title() != null ? html.title() : fileTitle, sha, html.blocks()));
            }
            case JSONL -> jsonl(ContentType.utf8(bytes), options);
            case TEXT, MARKDOWN -> {
                List<Block> blocks = TextStructure.parse(ContentType.utf8(bytes), type == ContentType.MARKDOWN, 0);
                yield single(type, new Document(fileId, leadingHeading(blocks, fileTitle), sha, blocks));
            }
        };
    }

    private static Result single(ContentType type, Document d) throws UnreadableFileException {
        if (d.blocks().isEmpty()) {
            throw new UnreadableFileException("no text in it");
        }
        return new Result(type, List.of(d), List.of());
    }

    private static Document pdf(byte[] bytes, String id, String fileTitle, String sha) throws UnreadableFileException {
        try (PDDocument pdf = Loader.loadPDF(bytes)) {
            if (pdf.isEncrypted() && !pdf.getCurrentAccessPermission().canExtractContent()) {
                throw new UnreadableFileException("encrypted PDF that forbids text extraction");
            }
            PDFTextStripper stripper = new PDFTextStripper();
            stripper.setSortByPosition(true);
            List<Block> blocks = new ArrayList<>();
            for (int page = 1; page <= pdf.getNumberOfPages(); page++) {
                stripper.setStartPage(page);
                stripper.setEndPage(page);
                blocks.addAll(TextStructure.parse(stripper.getText(pdf), false, page));
            }
            String title = pdf.getDocumentInformation().getTitle();
            return new Document(id, title != null && !title.isBlank() ? title.strip() : leadingHeading(blocks, fileTitle), sha, blocks);
        } catch (InvalidPasswordException e) {
            throw new UnreadableFileException("encrypted PDF (it needs a password)", e);
        } catch (UnreadableFileException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new UnreadableFileException("broken PDF: " + e.getMessage(), e);
        }
    }

    private static Result jsonl(String text, Options options) throws UnreadableFileException {
        String[] lines = text.split("\r?\n", -1);
        List<Document> documents = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            int line = i + 1;
            try {
                Document d = record(lines[i], line, options);
                if (!ids.add(d.id())) {
                    warnings.add("line " + line + ": id '" + d.id() + "' repeats an earlier record's; skipped");
                } else if (!d.blocks().isEmpty()) {
                    documents.add(d);
                }
            } catch (UnreadableFileException e) {
                warnings.add("line " + line + ": " + e.getMessage() + "; skipped");
            }
        }
        if (documents.isEmpty()) {
            throw new UnreadableFileException("JSONL with no usable record (fields '" + options.idField() + "' and '"
                    + options.textField() + "')" + (warnings.isEmpty() ? "" : ": " + warnings.getFirst()));
        }
        return new Result(ContentType.JSONL, documents, warnings);
    }

    private static Document record(String json, int line, Options options) throws UnreadableFileException {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            throw new UnreadableFileException("not a JSON object");
        }
        if (node == null || !node.isObject()) {
            throw new UnreadableFileException("not a JSON object");
        }
        JsonNode id = node.get(options.idField());
        JsonNode text = node.get(options.textField());
        if (id == null || !id.isValueNode() || id.asText().isBlank()) {
            throw new UnreadableFileException("no '" + options.idField() + "' field");
        }
        if (text == null || !text.isTextual()) {
            throw new UnreadableFileException("no text field '" + options.textField() + "'");
        }
        List<Block> blocks = new ArrayList<>();
        boolean markdown = ContentType.looksLikeMarkdown(text.asText());
        for (Block b : TextStructure.parse(text.asText(), markdown, 0)) {
            blocks.add(new Block(b.kind(), b.level(), b.pieces().stream().map(p -> p.at(line, 0)).toList()));
        }
        JsonNode title = node.get("title");
        String shown = title != null && title.isTextual() && !title.asText().isBlank() ? title.asText().strip() : id.asText();
        return new Document(id.asText(), shown, sha256(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)), blocks);
    }

    /** The text of a first-level-or-any heading that opens the document, else {@code fallback}. */
    private static String leadingHeading(List<Block> blocks, String fallback) {
        for (int i = 0; i < Math.min(3, blocks.size()); i++) {
            if (blocks.get(i).kind() == Block.Kind.HEADING) {
                return blocks.get(i).text();
            }
        }
        return fallback;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
