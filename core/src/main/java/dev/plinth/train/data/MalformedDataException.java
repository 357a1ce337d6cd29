package dev.plinth.train.data;

import java.io.IOException;
import java.nio.file.Path;

/** A row of fine-tuning data that cannot be used, naming the file and the line it starts on. */
public final class MalformedDataException extends IOException {
    private final Path file;
    private final long line;

    public MalformedDataException(Path file, long line, String problem) {
        super(file + ":" + line + ": " + problem);
        this.file = file;
        this.line = line;
    }

    public Path file() {
        return file;
    }

    /** The 1-based line the row starts on. */
    public long line() {
        return line;
    }
}
