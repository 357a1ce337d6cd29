package dev.plinth.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Locale;

/**
 * The streams of one CLI run and how much to say on standard error. Standard output carries only
 * a command's result; everything else (debug logs, timings, warnings, errors) goes to standard error.
 */
final class Console {

    enum Verbosity { QUIET, NORMAL, VERBOSE }

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    private Verbosity verbosity = Verbosity.NORMAL;

    Console(PrintStream out, PrintStream err, InputStream in) {
        this.out = out;
        this.err = err;
        this.in = in;
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    InputStream in() {
        return in;
    }

    boolean verbose() {
        return verbosity == Verbosity.VERBOSE;
    }

    boolean quiet() {
        return verbosity == Verbosity.QUIET;
    }

    void setVerbosity(Verbosity verbosity) {
        this.verbosity = verbosity;
    }

    /** A debug line, shown only with {@code --verbose}. */
    void debug(String format, Object... args) {
        if (verbosity == Verbosity.VERBOSE) {
            err.println("plinth: " + String.format(Locale.ROOT, format, args));
        }
    }

    /** A warning, shown unless {@code --quiet}. */
    void warn(String format, Object... args) {
        if (verbosity != Verbosity.QUIET) {
            err.println("plinth: warning: " + String.format(Locale.ROOT, format, args));
        }
    }

    /** The one line that reports a failure; always shown. */
    void error(String message) {
        err.println("plinth: " + message);
    }
}
