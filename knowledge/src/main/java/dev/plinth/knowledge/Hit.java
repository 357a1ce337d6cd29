package dev.plinth.knowledge;

/**
 * One search result: a chunk with its source and score.
 *
 * @param rank       1-based
 * @param score      BM25 score, cosine similarity mapped to [0, 1] by Lucene ({@code (1 + cos) / 2}),
 *                   or the reciprocal-rank-fusion score in hybrid mode
 * @param documentId the document's id
 * @param path       the source file's absolute path
 * @param firstLine  1-based first line (for a PDF: within {@code firstPage}'s text)
 * @param lastLine   1-based last line (for a PDF: within {@code lastPage}'s text)
 * @param firstPage  1-based PDF page, 0 for other formats
 * @param lastPage   1-based PDF page, 0 for other formats
 * @param text       the passage
 */
public record Hit(int rank, double score, String documentId, String path, String title, String section,
                  int firstLine, int lastLine, int firstPage, int lastPage, String text) {

    Hit withRank(int newRank, double newScore) {
        return new Hit(newRank, newScore, documentId, path, title, section, firstLine, lastLine, firstPage, lastPage, text);
    }

    /** Where the passage is: {@code path:12-30}, or {@code path, page 3, lines 4-9} for a PDF. */
    public String location() {
        String lines = firstLine == lastLine ? Integer.toString(firstLine) : firstLine + "-" + lastLine;
        if (firstPage == 0) {
            return path + ":" + lines;
        }
        String pages = firstPage == lastPage ? "page " + firstPage : "pages " + firstPage + "-" + lastPage;
        return path + ", " + pages + ", lines " + lines;
    }
}
