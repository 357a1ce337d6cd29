package dev.plinth.cli;

/** A failure the user can fix (bad file, unsupported format); reported as one line, exit code 1. */
final class CliException extends RuntimeException {

    CliException(String message) {
        super(message);
    }

    CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
