package dev.plinth.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The streams of one CLI run and how much to say on standard error. Standard output carries only
 * a command's result; everything else (debug logs, timings, warnings, errors) goes to standard error.
 */
final class Console {

    enum Verbosity { QUIET, NORMAL, VERBOSE }

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    private final Map<String, String> environment;
    private Verbosity verbosity = Verbosity.NORMAL;
    private ScaleOut scaleOut = ScaleOut.LOCAL;
    private List<String> arguments = List.of();

    Console(PrintStream out, PrintStream err, InputStream in) {
        this(out, err, in, System.getenv());
    }

    /** A console whose commands see {@code environment} as the process's environment ({@code PLINTH_HOME}, ...). */
    Console(PrintStream out, PrintStream err, InputStream in, Map<String, String> environment) {
        this.out = out;
        this.err = err;
        this.in = in;
        this.environment = environment;
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

    /**
     * The variables of {@code environment} that Plinth reads ({@code PLINTH_*}, {@code OLLAMA_*}): what a worker
     * on another machine is given, rather than the whole environment with whatever credentials it holds.
     */
    static Map<String, String> forWorkers(Map<String, String> environment) {
        Map<String, String> kept = new java.util.TreeMap<>();
        environment.forEach((name, value) -> {
            if (name.startsWith("PLINTH_") || name.startsWith("OLLAMA_")) {
                kept.put(name, value);
            }
        });
        return Map.copyOf(kept);
    }

    /** The environment variables commands read (the process's, or a test's). */
    Map<String, String> environment() {
        return environment;
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

    /** Where commands that can run as cluster jobs do their work ({@link ScaleOut#LOCAL} unless a launcher says otherwise). */
    ScaleOut scaleOut() {
        return scaleOut;
    }

    void setScaleOut(ScaleOut scaleOut) {
        this.scaleOut = scaleOut;
    }

    /** The command line being run, as given (a worker parses it again to redo part of the work). */
    List<String> arguments() {
        return arguments;
    }

    void setArguments(String... args) {
        this.arguments = List.of(args);
    }

    /**
     * This console with standard output sent to standard error, for a step whose results are
     * progress to the command that runs it (quickstart's steps); quiet stays quiet.
     */
    Console logOnly() {
        PrintStream sink = quiet() ? new PrintStream(OutputStream.nullOutputStream()) : err;
        Console c = new Console(sink, err, in, environment);
        c.setVerbosity(verbosity);
        c.setScaleOut(scaleOut);
        return c;
    }

    /**
     * Whether standard error is an interactive terminal, where progress lines may be redrawn in place:
     * only a run on the process's own streams with a console attached (never a test's captured ones).
     */
    boolean interactive() {
        java.io.Console c = System.console();
        return in == System.in && c != null && c.isTerminal();
    }

    /** A debug line, shown only with {@code --verbose}. */
    void debug(String format, Object... args) {
        if (verbosity == Verbosity.VERBOSE) {
            err.println("plinth: " + String.format(Locale.ROOT, format, args));
        }
    }

    /** An informational line (timings, state changes), shown unless {@code --quiet}. */
    void info(String format, Object... args) {
        if (verbosity != Verbosity.QUIET) {
            err.println("plinth: " + String.format(Locale.ROOT, format, args));
        }
    }

    /**
     * A prompt marker for interactive input, on standard error without a newline; shown only when
     * standard input is the terminal and not {@code --quiet}.
     */
    void prompt(String marker) {
        if (verbosity != Verbosity.QUIET && in == System.in && System.console() != null) {
            err.print(marker);
            err.flush();
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
