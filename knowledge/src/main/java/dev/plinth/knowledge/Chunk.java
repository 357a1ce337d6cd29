package dev.plinth.knowledge;

/**
 * A passage of a document, as it is embedded, indexed and cited.
 *
 * @param documentId the document's id
 * @param title      the document's title
 * @param section    the headings above the passage, outermost first, joined by {@code " > "} (may be empty)
 * @param text       the passage: the source's lines (without surrounding blanks), blocks separated by a blank line
 * @param firstLine  1-based first source line (for a PDF: of its first page's text)
 * @param lastLine   1-based last source line (for a PDF: of its last page's text)
 * @param firstPage  1-based first PDF page, 0 for other formats
 * @param lastPage   1-based last PDF page, 0 for other formats
 * @param ordinal    its place among the document's chunks, from 0
 */
public record Chunk(String documentId, String title, String section, String text, int firstLine, int lastLine,
                    int firstPage, int lastPage, int ordinal) implements java.io.Serializable {

    /** What the encoder sees: the title and section as a first line, then the passage. */
    public String embeddedText() {
        return context(title, section) + "\n" + text;
    }

    static String context(String title, String section) {
        return section.isEmpty() ? title : title + " > " + section;
    }
}
