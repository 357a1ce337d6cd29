package dev.plinth.cli;

import dev.plinth.io.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code plinth inspect}: what a model file holds (format, architecture, metadata, tensors). */
@Command(name = "inspect",
        description = {"Show a model file's format, architecture, metadata, tensors and parameter count.",
                "Reads GGUF files, safetensors files and Hugging Face folders, and llama2.c checkpoints."})
final class InspectCommand implements Callable<Integer> {

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(paramLabel = "FILE|DIR", description = "The model file, or a Hugging Face model folder.")
    Path path;

    @Option(names = "--json", description = "Print the same facts as JSON, arrays and strings in full.")
    boolean json;

    InspectCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        ModelSummary summary = read(path);
        console.debug("read %s in %.1f ms", path, (System.nanoTime() - start) / 1e6);
        if (json) {
            Json.write(console.out(), Json.inspect(summary));
        } else {
            text(summary).forEach(console.out()::println);
        }
        return Main.OK;
    }

    private static ModelSummary read(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString());
        }
        if (Files.isDirectory(path)) {
            throw new CliException(path + ": is a folder; only GGUF files can be inspected so far");
        }
        try (GgufFile gguf = GgufFile.open(path)) {
            return ModelSummary.of(path, gguf);
        }
    }

    static List<String> text(ModelSummary s) {
        List<String> lines = new ArrayList<>();
        List<String[]> facts = new ArrayList<>();
        facts.add(new String[] {"file", s.file().toString()});
        facts.add(new String[] {"format", s.format()});
        facts.add(new String[] {"architecture", s.architecture() == null ? "(not stated)" : s.architecture()});
        facts.add(new String[] {"parameters", TextFormat.grouped(s.parameterCount())
                + " (" + TextFormat.approximate(s.parameterCount()) + ")"});
        facts.add(new String[] {"tensors", s.tensors().size() + ", " + TextFormat.grouped(s.tensorBytes())
                + " bytes (" + TextFormat.bytes(s.tensorBytes()) + ")"});
        lines.addAll(TextFormat.table(facts));

        lines.add("");
        lines.add("metadata (" + s.metadata().size() + " keys)");
        if (!s.metadata().isEmpty()) {
            List<String[]> rows = new ArrayList<>();
            for (Map.Entry<String, Object> e : s.metadata().entrySet()) {
                rows.add(new String[] {"  " + e.getKey(), TextFormat.value(e.getValue())});
            }
            lines.addAll(TextFormat.table(rows));
        }

        lines.add("");
        lines.add("tensors (" + s.tensors().size() + ")");
        if (!s.tensors().isEmpty()) {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"  name", "dtype", "shape", "bytes"});
            for (ModelSummary.TensorRow t : s.tensors()) {
                rows.add(new String[] {"  " + t.name(), t.dtype(), TextFormat.shape(t.shape()), Long.toString(t.bytes())});
            }
            lines.addAll(TextFormat.table(rows, false, false, false, true));
        }
        return lines;
    }
}
