package dev.plinth.knowledge;

/**
 * An ingested file as the index records it.
 *
 * @param path      its absolute path
 * @param sha256    the hex SHA-256 of its bytes
 * @param modified  its modification time, in milliseconds since the epoch
 * @param size      its size in bytes
 * @param type      its content type ({@link ContentType#mediaType})
 * @param documents how many documents it holds (one, or a JSONL file's records)
 * @param chunks    how many chunks they gave
 */
public record SourceFile(String path, String sha256, long modified, long size, String type, int documents, int chunks)
        implements java.io.Serializable {
}
