package dev.plinth.knowledge;

import java.util.List;

/**
 * A document read from a source file: a file is one document; a JSONL file holds one per record.
 *
 * @param id     the document's id: the path below the folder it was found in (with that folder's
 *               name), or a JSONL record's id field
 * @param title  a title: a PDF's or HTML page's title, a leading heading, a record's {@code title}, else the file name
 * @param sha256 the hex SHA-256 of the document's content (a file's bytes, a record's line)
 * @param blocks the structure, in order
 */
public record Document(String id, String title, String sha256, List<Block> blocks) {

    public Document {
        blocks = List.copyOf(blocks);
    }
}
