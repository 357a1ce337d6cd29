package dev.plinth.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code plinth knowledge}: the group of knowledge base commands. */
@Command(name = "knowledge", description = {"Knowledge bases: documents chunked, embedded and indexed (BM25 and vectors)",
        "under PLINTH_HOME/knowledge/NAME, searched by words, meaning or both, and cited by products (KNOWLEDGE NAME)."})
final class KnowledgeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing subcommand: create, add, rm, list, show, search or eval");
    }
}
