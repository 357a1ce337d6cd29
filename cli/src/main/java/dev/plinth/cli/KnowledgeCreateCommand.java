package dev.plinth.cli;

import dev.plinth.knowledge.Ingest;
import dev.plinth.knowledge.IngestReport;
import dev.plinth.knowledge.KnowledgeEmbedder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth knowledge create}: a new knowledge base from files and folders. */
@Command(name = "create", description = {"Create a knowledge base: read the files (text, Markdown, HTML, PDF, JSONL, told",
        "by content), chunk them by structure, embed the chunks and index them; the report goes to standard output."})
final class KnowledgeCreateCommand implements Callable<Integer> {
    private final Console console;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME", description = "The knowledge base's name (lower-case letters, digits, '.', '_', '-').")
    String name;

    @Option(names = "--from", required = true, arity = "1..*", paramLabel = "PATH",
            description = "Files and folders to ingest (on Spark also hdfs://, s3a://, file:// URIs).")
    List<String> from;

    @Option(names = "--embedder", paramLabel = "MODEL",
            description = "A BERT GGUF, Hugging Face folder or .onnx file (tokenizer.json beside it); default: the bundled all-MiniLM-L6-v2.")
    String embedder;

    @Option(names = "--chunk-tokens", paramLabel = "N", defaultValue = "256", description = "Tokens per chunk at most (default: ${DEFAULT-VALUE}).")
    int chunkTokens;

    @Option(names = "--overlap", paramLabel = "N", defaultValue = "32", description = "Tokens a chunk repeats of the one before (default: ${DEFAULT-VALUE}).")
    int overlap;

    @Option(names = "--id-field", paramLabel = "FIELD", defaultValue = "id", description = "A JSONL record's id field (default: ${DEFAULT-VALUE}).")
    String idField;

    @Option(names = "--text-field", paramLabel = "FIELD", defaultValue = "text", description = "A JSONL record's text field (default: ${DEFAULT-VALUE}).")
    String textField;

    @Option(names = "--max-bytes", paramLabel = "N", defaultValue = "67108864", description = "Skip files larger than this (default: ${DEFAULT-VALUE}).")
    long maxBytes;

    KnowledgeCreateCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        Path folder = KnowledgeBases.folder(console, spec, name);
        Ingest.Options options = new Ingest.Options(chunkTokens, overlap, idField, textField, maxBytes);
        try (KnowledgeEmbedder e = KnowledgeBases.embedder(console, embedder, null);
             KnowledgeBases.Progress progress = new KnowledgeBases.Progress(console)) {
            IngestReport report;
            try {
                Path home = KnowledgeBases.home(console);
                report = Ingest.create(folder, name, from, options, e, console.scaleOut().knowledgeWork(e, home), progress);
            } catch (IllegalArgumentException bad) {
                throw new ParameterException(spec.commandLine(), bad.getMessage());
            }
            progress.close();
            KnowledgeBases.print(console, report);
        }
        return Main.OK;
    }
}
