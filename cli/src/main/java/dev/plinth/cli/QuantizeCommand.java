package dev.plinth.cli;

import dev.plinth.model.convert.GgufQuantizer;
import dev.plinth.model.convert.ModelConverter;
import dev.plinth.model.convert.QuantType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth quantize}: write a model as a GGUF file with llama-quantize's type choices. */
@Command(name = "quantize",
        description = {"Write a model as a GGUF file llama.cpp loads, its weight matrices in TYPE.",
                "Reads GGUF files, Hugging Face folders (llama, mistral, qwen2, qwen3) and llama2.c checkpoints.",
                "Norms and biases stay F32; the _m mixes and fallbacks follow llama.cpp's llama-quantize."})
final class QuantizeCommand implements Callable<Integer> {

    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "IN", description = "A .gguf file, a Hugging Face model folder, or a llama2.c .bin.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "The GGUF file to write (replaced atomically).")
    Path out;

    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "q8_0",
            description = "f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k_m, q5_k_m or q6_k (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "For a llama2.c checkpoint: its tokenizer (tok.bin), required.")
    Path tokenizer;

    @Spec
    CommandSpec spec;

    QuantizeCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        QuantType target = Usage.check(spec, () -> QuantType.parse(type));
        if (in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new ParameterException(spec.commandLine(), "OUT must differ from IN");
        }
        long start = System.nanoTime();
        try {
            ModelConverter.convert(in, tokenizer, out, target, progress(console));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        console.debug("quantized %s in %.1f s", in, (System.nanoTime() - start) / 1e9);
        return Main.OK;
    }

    /** One line per tensor on standard error (unless quiet): its index, name and the type change. */
    static GgufQuantizer.Listener progress(Console console) {
        return (i, n, name, from, to) -> {
            if (!console.quiet()) {
                console.err().printf("[%4d/%4d] %-36s %-5s -> %s%n", i + 1, n, name, from, to);
            }
        };
    }
}
