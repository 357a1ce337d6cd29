package dev.plinth.cli;

import dev.plinth.text.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Finds the tokenizer of a MODEL argument (and an optional --tokenizer file). */
final class TokenizerLoader {

    private TokenizerLoader() {
    }

    static Tokenizer load(Path model, Path tokenizerFile, Console console) throws IOException {
        requireExists(model);
        if (tokenizerFile != null) {
            requireExists(tokenizerFile);
            console.debug("tokenizer from %s", tokenizerFile);
            throw new CliException(tokenizerFile + ": reading llama2.c and tokenizer.json tokenizers is not available yet");
        }
        throw new CliException(model + ": tokenizers are not available yet");
    }

    private static void requireExists(Path p) throws NoSuchFileException {
        if (!Files.exists(p)) {
            throw new NoSuchFileException(p.toString());
        }
    }
}
