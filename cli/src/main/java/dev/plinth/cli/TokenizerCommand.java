package dev.plinth.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code plinth tokenizer}: the group of tokenizer commands ({@code train}). */
@Command(name = "tokenizer", description = "Make tokenizers: 'plinth tokenizer train' learns a byte-level BPE from a corpus.")
final class TokenizerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing subcommand: train");
    }
}
