package dev.plinth.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code plinth corpus starter}: the embedded starter corpus, from artifacts Maven resolved. */
@Command(name = "starter",
        description = {"Assemble the embedded starter corpus: WordNet 3.1 glosses as prose, Apache sources jars as code.",
                "Writes into DIR WordNet 3.1 definitions and example sentences (JSON Lines) and the sources jars of Apache "
                        + "Commons Lang and Collections, with a README stating each source's licence. The artifacts come from "
                        + "Maven when the CLI is built (cli/target/starter-corpus/). The result feeds 'plinth tokenizer train' "
                        + "and 'plinth corpus build' directly."})
final class CorpusStarterCommand implements Callable<Integer> {

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", defaultValue = "starter-corpus",
            description = "Folder to write (default: starter-corpus).")
    Path output;

    @Option(names = "--all-synsets",
            description = "Every WordNet synset (117,791, about 12 MiB of text), not only the 32,990 with example sentences (4.3 MiB).")
    boolean allSynsets;

    @Option(names = "--artifacts", paramLabel = "DIR",
            description = "Folder holding the artifact jars (default: starter-corpus beside the plinth jar).")
    Path artifacts;

    CorpusStarterCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        List<StarterCorpus.Part> parts = StarterCorpus.assemble(artifacts != null ? artifacts : StarterCorpus.artifactsFolder(), output, allSynsets);
        console.info("starter corpus written in %.1f s", (System.nanoTime() - start) / 1e9);
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"source", "documents", "bytes", "licence"});
        for (StarterCorpus.Part p : parts) {
            rows.add(new String[] {p.path().toString(), TextFormat.grouped(p.documents()), TextFormat.bytes(p.bytes()), p.item().licence()});
        }
        TextFormat.table(rows, false, true, true, false).forEach(console.out()::println);
        console.out().println("next:");
        StarterCorpus.usage(output).lines().forEach(l -> console.out().println("  " + l));
        return Main.OK;
    }
}
