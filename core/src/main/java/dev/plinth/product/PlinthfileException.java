package dev.plinth.product;

import java.nio.file.Path;

/** A Plinthfile that cannot be used, with the file, line and column of the problem: {@code FILE:LINE:COLUMN: what}. */
public final class PlinthfileException extends ProductException {

    private final Path file;
    private final int line;
    private final int column;

    public PlinthfileException(Path file, int line, int column, String message) {
        super(file + ":" + line + ":" + column + ": " + message);
        this.file = file;
        this.line = line;
        this.column = column;
    }

    public Path file() {
        return file;
    }

    /** 1-based line. */
    public int line() {
        return line;
    }

    /** 1-based column. */
    public int column() {
        return column;
    }
}
