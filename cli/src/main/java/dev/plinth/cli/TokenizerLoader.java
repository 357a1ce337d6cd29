package dev.plinth.cli;

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
 * The tokenizer of a MODEL argument: a GGUF file's vocabulary, the {@code tokenizer.json} of a
 * Hugging Face folder (or beside a safetensors file, or given itself), or the file named with
 * {@code --tokenizer} (a llama2.c {@code tok.bin} or a {@code tokenizer.json}). Close it after use:
 * a GGUF tokenizer may read from the file's mapping.
 */
final class TokenizerLoader implements AutoCloseable {

    private static final String TOKENIZER_JSON = "tokenizer.json";

    private final Tokenizer tokenizer;
    private final GgufFile gguf;

    private TokenizerLoader(Tokenizer tokenizer, GgufFile gguf) {
        this.tokenizer = tokenizer;
        this.gguf = gguf;
    }

    Tokenizer tokenizer() {
        return tokenizer;
    }

    static TokenizerLoader open(Path model, Path tokenizerFile, Console console) throws IOException {
        requireExists(model);
        if (tokenizerFile != null) {
            requireExists(tokenizerFile);
            return fromTokenizerFile(tokenizerFile, console);
        }
        if (Files.isDirectory(model)) {
            return fromTokenizerJson(model.resolve(TOKENIZER_JSON), model + ": folder has no " + TOKENIZER_JSON, console);
        }
        if (model.getFileName().toString().endsWith(".json") && !isSafetensorsIndex(model)) {
            return fromTokenizerJson(model, null, console);
        }
        ModelFormat format;
        try (ModelFile file = ModelFiles.open(model)) {
            format = file.format();
        }
        return switch (format) {
            case GGUF -> fromGguf(model, console);
            case LLAMA2C -> throw new CliException(model
                    + ": a llama2.c checkpoint holds no vocabulary; name its tokenizer with --tokenizer tok.bin");
            case SAFETENSORS, HF_FOLDER -> {
                Path json = model.toAbsolutePath().getParent().resolve(TOKENIZER_JSON);
                yield fromTokenizerJson(json, model + ": no " + TOKENIZER_JSON + " beside this " + format.displayName()
                        + " file; name one with --tokenizer", console);
            }
        };
    }

    private static boolean isSafetensorsIndex(Path file) {
        return file.getFileName().toString().endsWith(".safetensors.index.json");
    }

    private static TokenizerLoader fromTokenizerFile(Path file, Console console) throws IOException {
        if (file.getFileName().toString().endsWith(".json")) {
            return fromTokenizerJson(file, null, console);
        }
        console.debug("llama2.c tokenizer %s", file);
        return new TokenizerLoader(Tokenizers.fromLlama2c(file), null);
    }

    private static TokenizerLoader fromTokenizerJson(Path json, String whenMissing, Console console) throws IOException {
        if (whenMissing != null && !Files.isRegularFile(json)) {
            throw new CliException(whenMissing);
        }
        console.debug("Hugging Face tokenizer %s", json);
        return new TokenizerLoader(Tokenizers.fromTokenizerJson(json), null);
    }

    private static TokenizerLoader fromGguf(Path file, Console console) throws IOException {
        console.debug("GGUF tokenizer %s", file);
        GgufFile gguf = GgufFile.open(file);
        try {
            return new TokenizerLoader(Tokenizers.fromGguf(gguf), gguf);
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
