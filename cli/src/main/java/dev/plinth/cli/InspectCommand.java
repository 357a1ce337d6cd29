package dev.plinth.cli;

import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth inspect}: what a model file holds (format, architecture, metadata, tensors). */
@Command(name = "inspect",
        description = {"Show a model file's format, architecture, metadata, tensors and parameter count.",
                "Reads GGUF files, safetensors files and Hugging Face folders, and llama2.c checkpoints."})
final class InspectCommand implements Callable<Integer> {

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(paramLabel = "FILE|DIR",
            description = "A .gguf, .safetensors or model.safetensors.index.json file, a Hugging Face model folder, or a llama2.c .bin.")
    Path path;

    @Option(names = "--json", description = "Print the same facts as JSON, arrays and strings in full.")
    boolean json;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "For a llama2.c checkpoint: its tokenizer (tok.bin), whose size is added to the metadata.")
    Path tokenizer;

    @Spec
    CommandSpec spec;

    InspectCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        ModelSummary summary = read();
        console.debug("read %s in %.1f ms", path, (System.nanoTime() - start) / 1e6);
        if (json) {
            Json.write(console.out(), Json.inspect(summary));
        } else {
            text(summary).forEach(console.out()::println);
        }
        return Main.OK;
    }

    private ModelSummary read() throws IOException {
        try (ModelFile model = ModelFiles.open(path, tokenizer)) {
            return ModelSummary.of(model);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--tokenizer applies to llama2.c checkpoints only");
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
        lines.add("metadata (" + s.metadata().size() + (s.metadata().size() == 1 ? " key)" : " keys)"));
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
