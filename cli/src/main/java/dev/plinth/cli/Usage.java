package dev.plinth.cli;

import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Turns a library's rejection of an argument into a usage error (exit code 2, with the command's usage). */
final class Usage {
    private Usage() {
    }

    /** {@code build.get()}, an {@link IllegalArgumentException} becoming a {@link ParameterException}. */
    static <T> T check(CommandSpec spec, Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
