package dev.plinth.cli;

import dev.plinth.io.gguf.GgufFile;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The tokenizer of a MODEL argument: a GGUF file's vocabulary, a Hugging Face folder's or file's
 * {@code tokenizer.json}, or the file given with {@code --tokenizer}. Close it after use: a GGUF
 * tokenizer may read from the file's mapping.
 */
final class TokenizerLoader implements AutoCloseable {

    private final Tokenizer tokenizer;
    private final AutoCloseable source;

    private TokenizerLoader(Tokenizer tokenizer, AutoCloseable source) {
        this.tokenizer = tokenizer;
        this.source = source;
    }

    Tokenizer tokenizer() {
        return tokenizer;
    }

    static TokenizerLoader open(Path model, Path tokenizerFile, Console console) throws IOException {
        requireExists(model);
        if (tokenizerFile != null) {
            requireExists(tokenizerFile);
            return fromFile(tokenizerFile, console);
        }
        if (Files.isDirectory(model)) {
            Path json = model.resolve("tokenizer.json");
            if (!Files.isRegularFile(json)) {
                throw new CliException(model + ": folder has no tokenizer.json");
            }
            return fromFile(json, console);
        }
        return fromFile(model, console);
    }

    private static TokenizerLoader fromFile(Path file, Console console) throws IOException {
        if (file.getFileName().toString().endsWith(".json")) {
            console.debug("tokenizer from Hugging Face %s", file);
            return new TokenizerLoader(Tokenizers.fromTokenizerJson(file), () -> { });
        }
        console.debug("tokenizer from GGUF %s", file);
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
    public void close() throws IOException {
        try {
            source.close();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }
}
