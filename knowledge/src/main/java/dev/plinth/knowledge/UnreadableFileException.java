package dev.plinth.knowledge;

import java.io.IOException;

/** A source file that ingest skips, with the reason the ingest report gives. */
public final class UnreadableFileException extends IOException {

    public UnreadableFileException(String reason) {
        super(reason);
    }

    public UnreadableFileException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
