package dev.plinth.cli;

import dev.plinth.io.AtomicFiles;
import dev.plinth.model.AppliedAdapter;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.DecoderModel;
import dev.plinth.model.convert.LoraMerge;
import dev.plinth.model.convert.QuantType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code plinth merge}: a base with LoRA adapters merged into its weights, as a GGUF file (any type
 * {@code quantize} writes) or a Hugging Face folder (through {@code export}).
 */
@Command(name = "merge",
        description = {"Merge LoRA adapters into a base: W' = W + Σ scale·(alpha/r)·B·A, in F32 (a quantized base is",
                "dequantized first). OUT ending in .gguf is a GGUF file with its matrices in TYPE; any other OUT is a",
                "Hugging Face folder (llama-architecture bases), written as `plinth export --hf` writes one."})
final class MergeCommand implements Callable<Integer> {

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "BASE", description = "A .gguf file, a Hugging Face model folder, or a llama2.c .bin.")
    Path base;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "ADAPTER[:SCALE]",
            description = "A PEFT folder or a llama.cpp LoRA GGUF, scaled by SCALE (default 1).")
    List<String> adapters = new ArrayList<>();

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE|DIR",
            description = "The merged base: a .gguf file (replaced atomically) or a Hugging Face folder.")
    Path out;

    @Option(names = "--type", paramLabel = "TYPE",
            description = "Type of the GGUF's weight matrices: f32 (default), f16, bf16, q8_0, ... as for quantize.")
    String type;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "For a llama2.c checkpoint: its tokenizer (tok.bin), required.")
    Path tokenizer;

    @Spec
    CommandSpec spec;

    MergeCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        QuantType target = Usage.check(spec, () -> type == null ? QuantType.F32 : QuantType.parse(type));
        boolean gguf = out.getFileName().toString().endsWith(".gguf");
        if (!gguf && type != null) {
            throw new ParameterException(spec.commandLine(), "a Hugging Face folder is written in F32; --type applies to "
                    + "a .gguf OUT");
        }
        if (out.toAbsolutePath().normalize().equals(base.toAbsolutePath().normalize())) {
            throw new ParameterException(spec.commandLine(), "OUT must differ from BASE");
        }
        List<AppliedAdapter> read = readAdapters();
        long start = System.nanoTime();
        int code = Main.OK;
        if (gguf) {
            writeGguf(read, out, target);
            console.info("wrote %s (%s)", out, target.cliName());
        } else {
            code = writeHuggingFace(read);
        }
        console.debug("merged %d adapter(s) into %s in %.1f s", read.size(), base, (System.nanoTime() - start) / 1e9);
        return code;
    }

    /** The adapters, read for the base's shape; {@link LoraMerge} checks that they fit it. */
    private List<AppliedAdapter> readAdapters() throws IOException {
        DecoderConfig config;
        try (DecoderModel model = DecoderModel.open(base)) {
            config = model.config();
        }
        List<AppliedAdapter> read = new ArrayList<>();
        for (String a : adapters) {
            read.add(AppliedAdapter.parse(a).read(config));
        }
        return read;
    }

    private void writeGguf(List<AppliedAdapter> read, Path file, QuantType target) throws IOException {
        try {
            LoraMerge.writeGguf(base, tokenizer, read, file, target, QuantizeCommand.progress(console));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }

    /** The merged base as an F32 GGUF beside the folder, then exported from there. */
    private int writeHuggingFace(List<AppliedAdapter> read) throws IOException {
        Path parent = out.toAbsolutePath().normalize().getParent();
        Files.createDirectories(parent);
        Path scratch = Files.createTempDirectory(parent, ".merge-");
        try {
            Path merged = scratch.resolve("merged.gguf");
            writeGguf(read, merged, QuantType.F32);
            List<String> args = new ArrayList<>(List.of("export", merged.toString(), "--hf", out.toString()));
            Path tokenizerJson = base.resolve("tokenizer.json");
            if (Files.isDirectory(base) && Files.isRegularFile(tokenizerJson)) {
                args.addAll(List.of("--tokenizer", tokenizerJson.toString()));
            }
            return Main.execute(console, args.toArray(String[]::new));
        } finally {
            AtomicFiles.deleteTree(scratch);
        }
    }
}
