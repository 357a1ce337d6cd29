package dev.plinth.knowledge;

import java.util.List;

/**
 * One unit of a document's structure: a heading, a paragraph, a list item or a code block, made of
 * pieces that each know their source lines.
 *
 * @param level a heading's level (1 is the highest); 0 for other kinds
 */
public record Block(Kind kind, int level, List<Piece> pieces) {

    /** The kinds of structure chunking follows. */
    public enum Kind { HEADING, PARAGRAPH, LIST_ITEM, CODE }

    public Block {
        pieces = List.copyOf(pieces);
    }

    static Block heading(int level, Piece piece) {
        return new Block(Kind.HEADING, level, List.of(piece));
    }

    /** The pieces' text, one per line. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (Piece p : pieces) {
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            sb.append(p.text());
        }
        return sb.toString();
    }
}
