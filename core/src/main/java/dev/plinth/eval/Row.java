package dev.plinth.eval;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One data row: its fields, and where it was read (for errors and item ids).
 *
 * @param fields a JSON object
 * @param file   the data file as named to the user
 * @param line   1-based line where the row starts
 */
record Row(JsonNode fields, String file, int line) {

    /** The row's {@code id} (or {@code example_id}) field, else {@code file:line}. */
    String id() {
        JsonNode id = fields.get("id");
        if (id == null || id.isContainerNode()) {
            id = fields.get("example_id");
        }
        return id != null && !id.isContainerNode() ? id.asText() : file + ":" + line;
    }

    TaskFormatException error(String message) {
        return new TaskFormatException(file, line, message);
    }
}
