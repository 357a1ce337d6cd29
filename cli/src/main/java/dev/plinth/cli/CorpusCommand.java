package dev.plinth.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code plinth corpus}: the group of corpus commands ({@code starter}, {@code build}). */
@Command(name = "corpus", description = "Make pretraining corpora: the embedded starter corpus, and token shards with a dataset card.")
final class CorpusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing subcommand: starter or build");
    }
}
