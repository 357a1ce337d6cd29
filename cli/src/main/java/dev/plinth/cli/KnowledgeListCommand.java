package dev.plinth.cli;

import dev.plinth.knowledge.KnowledgeBase;
import dev.plinth.knowledge.SourceFile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code plinth knowledge list}: the knowledge bases under PLINTH_HOME. */
@Command(name = "list", description = "List the knowledge bases: files, documents, chunks, index size and embedder.")
final class KnowledgeListCommand implements Callable<Integer> {
    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    KnowledgeListCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "FILES", "DOCUMENTS", "CHUNKS", "SIZE", "EMBEDDER"});
        for (String name : KnowledgeBase.names(KnowledgeBases.home(console))) {
            try (KnowledgeBase kb = KnowledgeBase.open(KnowledgeBases.folder(console, spec, name))) {
                List<SourceFile> files = kb.files();
                rows.add(new String[] {name, Integer.toString(files.size()),
                        Integer.toString(files.stream().mapToInt(SourceFile::documents).sum()),
                        Integer.toString(kb.chunks()), TextFormat.bytes(kb.indexBytes()), kb.settings().embedder()});
            }
        }
        TextFormat.table(rows, false, true, true, true, true, false).forEach(console.out()::println);
        return Main.OK;
    }
}
