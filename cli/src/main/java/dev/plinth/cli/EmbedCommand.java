package dev.plinth.cli;

import dev.plinth.model.BertModel;
import dev.plinth.model.Embedder;
import dev.plinth.model.Pooling;
import dev.plinth.model.TokenizerLoader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code plinth embed}: sentence embeddings from a BERT-family encoder, as JSON on standard output. */
@Command(name = "embed",
        description = {"Embed texts with a BERT-family encoder and print the vectors as JSON.",
                "MODEL: a Hugging Face BERT folder, a BERT .gguf file or an .onnx export (tokenizer.json beside it)."})
final class EmbedCommand implements Callable<Integer> {
    private final Console console;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Folder, .gguf or .onnx file.")
    Path model;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "TEXT", description = "The texts to embed.")
    List<String> texts;

    @Option(names = "--pooling", paramLabel = "MODE", defaultValue = "mean",
            description = "mean or cls (default: ${DEFAULT-VALUE}).")
    String pooling;

    @Option(names = "--no-normalize", description = "Keep the pooled vectors as they are instead of unit length.")
    boolean noNormalize;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "json",
            description = "json (one array of vectors) or jsonl (one vector per line) (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "512",
            description = "Longest token sequence per text, [CLS] and [SEP] included; capped at the model's positions (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "The tokenizer.json to use instead of the model's.")
    Path tokenizer;

    @Spec
    CommandSpec spec;

    EmbedCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() throws IOException {
        Pooling mode = switch (pooling.toLowerCase(Locale.ROOT)) {
            case "mean" -> Pooling.MEAN;
            case "cls" -> Pooling.CLS;
            default -> throw new ParameterException(spec.commandLine(), "--pooling must be mean or cls, not '" + pooling + "'");
        };
        if (!format.equals("json") && !format.equals("jsonl")) {
            throw new ParameterException(spec.commandLine(), "--format must be json or jsonl, not '" + format + "'");
        }
        Path tok = tokenizer;
        if (tok == null && model.getFileName() != null && model.getFileName().toString().endsWith(".onnx")) {
            tok = model.toAbsolutePath().resolveSibling("tokenizer.json");
        }
        float[][] vectors;
        try (BertModel bert = BertModel.load(model); TokenizerLoader t = TokenizerLoader.open(model, tok)) {
            console.debug("tokenizer: %s", t.source());
            int max = Math.min(maxTokens, bert.config().maxPositions());
            if (max < 2) {
                throw new ParameterException(spec.commandLine(), "--max-tokens must be at least 2");
            }
            long start = System.nanoTime();
            vectors = new Embedder(bert, t.tokenizer(), mode, !noNormalize, max).embed(texts);
            console.debug("embedded %d texts in %.1f ms", texts.size(), (System.nanoTime() - start) / 1e6);
        }
        print(console.out(), vectors, format.equals("jsonl"));
        return Main.OK;
    }

    static void print(PrintStream out, float[][] vectors, boolean lines) {
        StringBuilder sb = new StringBuilder();
        if (!lines) {
            sb.append('[');
        }
        for (int i = 0; i < vectors.length; i++) {
            if (!lines && i > 0) {
                sb.append(',');
            }
            sb.append('[');
            for (int j = 0; j < vectors[i].length; j++) {
                if (j > 0) {
                    sb.append(',');
                }
                float v = vectors[i][j];
                sb.append(Float.isFinite(v) ? Float.toString(v) : "null");
            }
            sb.append(']');
            if (lines) {
                sb.append('\n');
            }
        }
        if (!lines) {
            sb.append("]\n");
        }
        out.print(sb);
    }
}
