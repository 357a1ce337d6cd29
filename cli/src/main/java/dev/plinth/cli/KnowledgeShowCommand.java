package dev.plinth.cli;

import dev.plinth.knowledge.KnowledgeBase;
import dev.plinth.knowledge.KnowledgeSettings;
import dev.plinth.knowledge.SourceFile;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth knowledge show}: one knowledge base's settings, sizes and files. */
@Command(name = "show", description = "Show a knowledge base: embedder, chunking, roots, counts, index size, last ingest and files.")
final class KnowledgeShowCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT);
    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME", description = "The knowledge base.")
    String name;

    KnowledgeShowCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        try (KnowledgeBase kb = KnowledgeBases.open(console, spec, name)) {
            KnowledgeSettings s = kb.settings();
            List<SourceFile> files = kb.files();
            PrintStream out = console.out();
            out.printf("name          %s%n", s.name());
            out.printf("folder        %s%n", kb.folder());
            out.printf("embedder      %s  %s  (%d dimensions)%n", s.embedder(), s.embedderDigest(), s.dimension());
            out.printf("chunking      %d tokens, overlap %d; JSONL fields %s and %s; files up to %s%n", s.chunkTokens(),
                    s.overlap(), s.idField(), s.textField(), TextFormat.bytes(s.maxBytes()));
            s.roots().forEach(r -> out.printf("root          %s%n", r));
            out.printf("files         %d (%s)%n", files.size(), TextFormat.bytes(files.stream().mapToLong(SourceFile::size).sum()));
            out.printf("documents     %d%n", files.stream().mapToInt(SourceFile::documents).sum());
            out.printf("chunks        %d%n", kb.chunks());
            out.printf("index         %s%n", TextFormat.bytes(kb.indexBytes()));
            String report = kb.lastIngestReport();
            if (report != null) {
                out.printf("last ingest   %s%n", report.lines().findFirst().orElse(""));
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"FILE", "TYPE", "DOCUMENTS", "CHUNKS", "SIZE", "MODIFIED", "SHA256"});
            for (SourceFile f : files) {
                rows.add(new String[] {f.path(), f.type(), Integer.toString(f.documents()), Integer.toString(f.chunks()),
                        TextFormat.bytes(f.size()), TIME.format(Instant.ofEpochMilli(f.modified()).atZone(ZoneId.systemDefault())),
                        f.sha256().substring(0, 12)});
            }
            out.println();
            TextFormat.table(rows, false, false, true, true, true, false, false).forEach(out::println);
        }
        return Main.OK;
    }
}
