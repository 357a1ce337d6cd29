package dev.plinth.cli;

import dev.plinth.knowledge.Ingest;
import dev.plinth.knowledge.IngestReport;
import dev.plinth.knowledge.KnowledgeBase;
import dev.plinth.knowledge.KnowledgeEmbedder;
import dev.plinth.knowledge.KnowledgeSettings;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth knowledge add}: ingest files and folders into a knowledge base, again or for the first time. */
@Command(name = "add", description = {"Add files and folders to a knowledge base, or ingest them again: new and changed",
        "files are embedded, deleted ones dropped, unchanged ones kept. Without PATH, every path it was made from."})
final class KnowledgeAddCommand implements Callable<Integer> {
    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME", description = "The knowledge base.")
    String name;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "PATH", description = "Files and folders.")
    List<String> paths = List.of();

    @Option(names = "--embedder", paramLabel = "MODEL", description = "The embedder (must be the one the index was built with).")
    String embedder;

    KnowledgeAddCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        KnowledgeSettings settings;
        try (KnowledgeBase kb = KnowledgeBases.open(console, spec, name)) {
            settings = kb.settings();
        }
        try (KnowledgeEmbedder e = KnowledgeBases.embedder(console, embedder, settings.embedder());
             KnowledgeBases.Progress progress = new KnowledgeBases.Progress(console)) {
            Ingest.Work work = console.scaleOut().knowledgeWork(e, KnowledgeBases.home(console));
            IngestReport report = Ingest.add(KnowledgeBases.folder(console, spec, name), paths, e, work, progress);
            progress.close();
            KnowledgeBases.print(console, report);
        }
        return Main.OK;
    }
}
