package dev.plinth.train.corpus;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads lines (ended by LF, CR or CRLF) of at most {@code maxChars} characters: a longer line is
 * cut there and the rest of it skipped, so one enormous line cannot exhaust memory. Malformed
 * UTF-8 becomes U+FFFD rather than an error, as elsewhere in the corpus readers.
 */
final class BoundedLines implements AutoCloseable {

    private final Reader in;
    private final int maxChars;
    private final StringBuilder line = new StringBuilder();
    private int pending = -2;

    BoundedLines(Path file, int maxChars) throws IOException {
        this(Files.newInputStream(file), maxChars);
    }

    BoundedLines(InputStream bytes, int maxChars) {
        this.in = new BufferedReader(new InputStreamReader(bytes, StandardCharsets.UTF_8), 1 << 16);
        this.maxChars = maxChars;
    }

    /** The next line without its terminator, or null at the end. */
    String next() throws IOException {
        line.setLength(0);
        int c = pending != -2 ? pending : in.read();
        pending = -2;
        if (c == -1) {
            return null;
        }
        while (c != -1 && c != '\n' && c != '\r') {
            if (line.length() < maxChars) {
                line.append((char) c);
            }
            c = in.read();
        }
        if (c == '\r') {
            int d = in.read();
            if (d != '\n') {
                pending = d;
            }
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
