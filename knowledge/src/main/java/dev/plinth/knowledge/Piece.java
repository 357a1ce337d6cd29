package dev.plinth.knowledge;

/**
 * The smallest unit of a document's text that keeps its place in the source: usually one line,
 * an HTML element's text, or part of an over-long line.
 *
 * @param text      the text, without surrounding blanks
 * @param firstLine 1-based line of the source file where it starts (for a PDF: within its page)
 * @param lastLine  1-based line where it ends
 * @param page      1-based PDF page, 0 for other formats
 */
public record Piece(String text, int firstLine, int lastLine, int page) {

    /** The same text placed at one line of a page (a JSONL record's text sits on the record's line). */
    Piece at(int line, int newPage) {
        return new Piece(text, line, line, newPage);
    }

    Piece onPage(int newPage) {
        return new Piece(text, firstLine, lastLine, newPage);
    }
}
