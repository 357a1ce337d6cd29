package dev.plinth.model;

import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.io.ModelFormat;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The tokenizer that goes with a model: a GGUF file's own vocabulary, the {@code tokenizer.json} of a
 * Hugging Face folder (or beside a safetensors file, or given itself), or an explicitly named
 * tokenizer file (a llama2.c {@code tok.bin} or a {@code tokenizer.json}), which wins. Close it after
 * use: a GGUF tokenizer may read from the file's mapping.
 *
 * <pre>{@code
 * try (TokenizerLoader t = TokenizerLoader.open(Path.of("model.gguf"), null)) {
 *     int[] ids = t.tokenizer().encode("Hello", true, false);
 * }
 * }</pre>
 */
public final class TokenizerLoader implements AutoCloseable {

    private static final String TOKENIZER_JSON = "tokenizer.json";

    private final Tokenizer tokenizer;
    private final GgufFile gguf;
    private final String source;

    private TokenizerLoader(Tokenizer tokenizer, GgufFile gguf, String source) {
        this.tokenizer = tokenizer;
        this.gguf = gguf;
        this.source = source;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Where the tokenizer came from, for logs: e.g. {@code GGUF vocabulary of model.gguf}. */
    public String source() {
        return source;
    }

    /**
     * The tokenizer of {@code model} (a GGUF file, a Hugging Face folder, a safetensors file, or a
     * {@code tokenizer.json}), or the one in {@code tokenizerFile} when that is not null.
     *
     * @throws MissingTokenizerException when the model carries no vocabulary and none is beside it
     */
    public static TokenizerLoader open(Path model, Path tokenizerFile) throws IOException {
        requireExists(model);
        if (tokenizerFile != null) {
            requireExists(tokenizerFile);
            return fromTokenizerFile(tokenizerFile);
        }
        if (Files.isDirectory(model)) {
            return fromTokenizerJson(model.resolve(TOKENIZER_JSON), model + ": folder has no " + TOKENIZER_JSON);
        }
        if (model.getFileName().toString().endsWith(".json") && !isSafetensorsIndex(model)) {
            return fromTokenizerJson(model, null);
        }
        ModelFormat format;
        try (ModelFile file = ModelFiles.open(model)) {
            format = file.format();
        }
        return switch (format) {
            case GGUF -> fromGguf(model);
            case LLAMA2C -> throw new MissingTokenizerException(model
                    + ": a llama2.c checkpoint holds no vocabulary; its tokenizer is a separate tok.bin");
            case SAFETENSORS, HF_FOLDER -> {
                Path json = model.toAbsolutePath().getParent().resolve(TOKENIZER_JSON);
                yield fromTokenizerJson(json, model + ": no " + TOKENIZER_JSON + " beside this " + format.displayName()
                        + " file");
            }
        };
    }

    private static boolean isSafetensorsIndex(Path file) {
        return file.getFileName().toString().endsWith(".safetensors.index.json");
    }

    private static TokenizerLoader fromTokenizerFile(Path file) throws IOException {
        if (file.getFileName().toString().endsWith(".json")) {
            return fromTokenizerJson(file, null);
        }
        return new TokenizerLoader(Tokenizers.fromLlama2c(file), null, "llama2.c tokenizer " + file);
    }

    private static TokenizerLoader fromTokenizerJson(Path json, String whenMissing) throws IOException {
        if (whenMissing != null && !Files.isRegularFile(json)) {
            throw new MissingTokenizerException(whenMissing);
        }
        return new TokenizerLoader(Tokenizers.fromTokenizerJson(json), null, "Hugging Face tokenizer " + json);
    }

    private static TokenizerLoader fromGguf(Path file) throws IOException {
        GgufFile gguf = GgufFile.open(file);
        try {
            return new TokenizerLoader(Tokenizers.fromGguf(gguf), gguf, "GGUF vocabulary of " + file);
        } catch (IOException | RuntimeException e) {
            gguf.close();
            throw e;
        }
    }

    private static void requireExists(Path p) throws NoSuchFileException {
        if (!Files.exists(p)) {
            throw new NoSuchFileException(p.toString());
        }
    }

    @Override
    public void close() {
        if (gguf != null) {
            gguf.close();
        }
    }
}
