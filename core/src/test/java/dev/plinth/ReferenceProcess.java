package dev.plinth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a reference program (a Python script with torch or jinja2) as a child process with a
 * deadline that really fires: standard input comes from a file and standard output and error go to
 * files, so no pipe can fill up and block either side, and the wait is bounded by the timeout alone.
 */
public final class ReferenceProcess {
    private ReferenceProcess() {
    }

    /** What the child printed on standard output and on standard error, and how it ended. */
    public record Result(int exitCode, boolean timedOut, String output, String errors) {
        public boolean succeeded() {
            return !timedOut && exitCode == 0;
        }

        /** Why it failed in a line: the timeout, or the last line of its errors, or its exit code. */
        public String lastLine() {
            if (timedOut) {
                return "timed out";
            }
            String[] lines = errors.strip().split("\n");
            String last = lines[lines.length - 1];
            return last.isBlank() ? "exit " + exitCode : last;
        }
    }

    /** Runs {@code command} with {@code stdin} as its input; kills it when it outlives {@code timeout}. */
    public static Result run(List<String> command, byte[] stdin, Duration timeout) throws IOException {
        Path in = Files.createTempFile("plinth-ref-in", ".txt");
        Path out = Files.createTempFile("plinth-ref-out", ".txt");
        Path err = Files.createTempFile("plinth-ref-err", ".txt");
        try {
            Files.write(in, stdin);
            Process p = new ProcessBuilder(command).redirectInput(in.toFile()).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).start();
            boolean finished;
            try {
                finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                finished = false;
            }
            if (!finished) {
                p.destroyForcibly();
            }
            return new Result(finished ? p.exitValue() : -1, !finished, Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** {@link #run(List, byte[], Duration)} with empty input. */
    public static Result run(List<String> command, Duration timeout) throws IOException {
        return run(command, new byte[0], timeout);
    }
}
