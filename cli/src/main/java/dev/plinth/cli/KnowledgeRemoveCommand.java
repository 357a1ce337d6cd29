package dev.plinth.cli;

import dev.plinth.knowledge.Ingest;
import dev.plinth.knowledge.IngestReport;
import dev.plinth.knowledge.KnowledgeBase;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth knowledge rm}: drop files (or whole folders) from a knowledge base. */
@Command(name = "rm", description = "Remove the files at or below each PATH from a knowledge base (the files themselves stay).")
final class KnowledgeRemoveCommand implements Callable<Integer> {
    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME", description = "The knowledge base.")
    String name;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "PATH", description = "Files and folders to remove.")
    List<Path> paths;

    KnowledgeRemoveCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        try (KnowledgeBase ignored = KnowledgeBases.open(console, spec, name)) {
            // opened only to report a missing knowledge base by name
        }
        IngestReport report = Ingest.remove(KnowledgeBases.folder(console, spec, name), paths);
        if (report.removed().isEmpty()) {
            console.warn("no file of knowledge base '%s' is at or below %s", name, paths);
        }
        KnowledgeBases.print(console, report);
        return Main.OK;
    }
}
