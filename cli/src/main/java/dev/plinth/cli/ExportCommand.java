package dev.plinth.cli;

import dev.plinth.io.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.io.ModelFormat;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.model.convert.QuantType;
import dev.plinth.product.OciLayout;
import dev.plinth.product.Product;
import dev.plinth.text.Tokenizers;
import dev.plinth.train.BaseExport;
import dev.plinth.train.Checkpoint;
import dev.plinth.train.TrainableDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code plinth export}: write a base as a GGUF file and/or a Hugging Face folder, or (with a
 * folder as second argument) a product of the store as an OCI image layout. The base is a GGUF
 * file, or a pretraining checkpoint ({@code checkpoint.plnt}, or the run folder holding it).
 */
@Command(name = "export",
        description = {"Write a base as a GGUF file llama.cpp loads and/or a Hugging Face folder transformers loads",
                "(config.json, model.safetensors, tokenizer.json, tokenizer_config.json with a ChatML chat template).",
                "BASE is a GGUF file of a llama-family base (its tokenizer: --tokenizer or the GGUF's own) or a",
                "`plinth pretrain` checkpoint or run folder (its tokenizer: --tokenizer or tokenizer.json beside the checkpoint).",
                "`plinth export NAME DIR` writes the product NAME as an OCI image layout in DIR (oci-layout, index.json,",
                "blobs/sha256/...), which plinth import reads back bit for bit."})
final class ExportCommand implements Callable<Integer> {

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "BASE", description = "The base: a .gguf file, a checkpoint.plnt or a pretrain run folder; or a product NAME with DIR.")
    Path in;

    @Parameters(index = "1", arity = "0..1", paramLabel = "DIR",
            description = "With a product NAME: the OCI image layout folder to write (new, empty, or a layout to add to).")
    Path ociLayout;

    @Option(names = "--gguf", paramLabel = "OUT", description = "The GGUF file to write (replaced atomically).")
    Path gguf;

    @Option(names = "--hf", paramLabel = "DIR",
            description = "The Hugging Face folder to write (llama bases; replaces an earlier export there).")
    Path hf;

    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "f32",
            description = "Type of the GGUF's weight matrices: f32, f16, bf16, q8_0, ... as for quantize (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "The base's tokenizer.json (default: the GGUF's own vocabulary, written as a tokenizer.json).")
    Path tokenizer;

    @Spec
    CommandSpec spec;

    ExportCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        if (ociLayout != null) {
            return exportProduct();
        }
        QuantType target = Usage.check(spec, () -> QuantType.parse(type));
        if (gguf == null && hf == null) {
            throw new ParameterException(spec.commandLine(), "nothing to write: give --gguf OUT, --hf DIR or both");
        }
        if (gguf != null && in.toAbsolutePath().normalize().equals(gguf.toAbsolutePath().normalize())) {
            throw new ParameterException(spec.commandLine(), "--gguf must differ from BASE");
        }
        long start = System.nanoTime();
        Path checkpoint = Files.isDirectory(in) ? in.resolve(Checkpoint.FILE_NAME) : in;
        try {
            if (Checkpoint.isCheckpoint(checkpoint)) {
                exportCheckpoint(checkpoint, target);
            } else {
                exportGguf(target);
            }
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        console.debug("exported %s in %.1f s", in, (System.nanoTime() - start) / 1e9);
        return Main.OK;
    }

    private int exportProduct() throws IOException {
        if (gguf != null || hf != null || tokenizer != null) {
            throw new ParameterException(spec.commandLine(), "a product goes to an OCI layout (NAME DIR); --gguf, --hf and "
                    + "--tokenizer export a base file");
        }
        Product product = Products.product(console, spec, in.toString());
        OciLayout.export(product, ociLayout);
        console.info("wrote %s %s to the OCI layout %s", product.name(), product.digest(), ociLayout);
        return Main.OK;
    }

    private void exportCheckpoint(Path checkpoint, QuantType target) throws IOException {
        Path tokenizerJson = tokenizer != null ? tokenizer : checkpoint.toAbsolutePath().resolveSibling("tokenizer.json");
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new CliException(checkpoint + ": no tokenizer.json beside this checkpoint; name the corpus's tokenizer with --tokenizer FILE");
        }
        write(Checkpoint.readModel(checkpoint), tokenizerJson, target);
    }

    private void exportGguf(QuantType target) throws IOException {
        Path scratch = null;
        try (ModelFile file = ModelFiles.open(in)) {
            if (file.format() != ModelFormat.GGUF) {
                throw new CliException(in + " is a " + file.format().displayName() + "; export reads a base from a GGUF file or a pretraining checkpoint");
            }
            TrainableDecoder base = TrainableDecoder.of(file);
            Path tokenizerJson = tokenizer;
            if (tokenizerJson == null) {
                scratch = Files.createTempDirectory("plinth-export-");
                tokenizerJson = tokenizerOf(in, scratch);
            }
            write(base, tokenizerJson, target);
        } finally {
            AtomicFiles.deleteTree(scratch);
        }
    }

    private void write(TrainableDecoder base, Path tokenizerJson, QuantType target) throws IOException {
        if (gguf != null) {
            BaseExport.writeGguf(base, tokenizerJson, gguf, target);
            console.info("wrote %s (%s)", gguf, target.cliName());
        }
        if (hf != null) {
            BaseExport.writeHuggingFace(base, tokenizerJson, hf);
            console.info("wrote %s", hf);
        }
    }

    /**
     * The GGUF's vocabulary as a tokenizer.json, with a tokenizer_config.json beside it naming the
     * GGUF's bos and eos tokens (so that the export keeps them).
     */
    private static Path tokenizerOf(Path in, Path scratch) throws IOException {
        Path json = scratch.resolve("tokenizer.json");
        try (GgufFile g = GgufFile.open(in)) {
            String model = g.getString("tokenizer.ggml.model", "");
            switch (model) {
                case "gpt2" -> Tokenizers.writeByteLevelTokenizerJson(g, json);
                case "llama" -> Tokenizers.writeSpmTokenizerJson(g, json);
                default -> throw new CliException(in + " has tokenizer.ggml.model '" + model
                        + "', which export cannot write as a tokenizer.json; give --tokenizer FILE");
            }
            List<Object> tokens = g.getArray("tokenizer.ggml.tokens");
            ObjectNode config = new ObjectMapper().createObjectNode();
            putToken(config, "bos_token", tokens, g.getLong("tokenizer.ggml.bos_token_id", -1));
            putToken(config, "eos_token", tokens, g.getLong("tokenizer.ggml.eos_token_id", -1));
            Files.writeString(scratch.resolve("tokenizer_config.json"), config.toString());
        }
        return json;
    }

    private static void putToken(ObjectNode config, String field, List<Object> tokens, long id) {
        if (id >= 0 && id < tokens.size() && tokens.get((int) id) instanceof String s) {
            config.put(field, s);
        }
    }

}
