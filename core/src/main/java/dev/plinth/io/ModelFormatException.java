package dev.plinth.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model or tokenizer file that is not what it claims to be: truncated, of the wrong format or
 * version, or holding a size, offset or value that cannot be right. The message names the file,
 * the field and the byte offset where the problem was found.
 */
public class ModelFormatException extends IOException {

    private final transient Path file;
    private final String field;
    private final long offset;

    public ModelFormatException(Path file, String field, long offset, String problem) {
        super(message(file, field, offset, problem));
        this.file = file;
        this.field = field;
        this.offset = offset;
    }

    public ModelFormatException(Path file, String field, long offset, String problem, Throwable cause) {
        this(file, field, offset, problem);
        initCause(cause);
    }

    private static String message(Path file, String field, long offset, String problem) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<memory>" : file.toString());
        if (offset >= 0) {
            sb.append(" at byte ").append(offset);
        }
        if (field != null) {
            sb.append(", field ").append(field);
        }
        return sb.append(": ").append(problem).toString();
    }

    /** The file that was read, or null for an in-memory buffer. */
    public Path file() {
        return file;
    }

    /** The field being read when the problem was found, or null. */
    public String field() {
        return field;
    }

    /** Byte offset of the problem in the file, or -1 when not tied to one place. */
    public long offset() {
        return offset;
    }
}
