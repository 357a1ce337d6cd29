package dev.plinth.eval;

/**
 * A task definition, probe file or data row that cannot be used: the message starts with the file
 * and the 1-based line ({@code tasks/arc-easy.task:4: ...}, {@code arc-easy.jsonl:17: ...}).
 */
public final class TaskFormatException extends RuntimeException {

    private final String file;
    private final int line;

    public TaskFormatException(String file, int line, String message) {
        super(file + ":" + line + ": " + message);
        this.file = file;
        this.line = line;
    }

    /** The definition or data file, as named to the user. */
    public String file() {
        return file;
    }

    /** 1-based line. */
    public int line() {
        return line;
    }
}
