package dev.plinth.text;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A tokenizer description that is well formed but asks for something Plinth does not implement
 * (an unknown {@code tokenizer.ggml.model}, a {@code tokenizer.json} model, normalizer or
 * pre-tokenizer type, an option). The message names the file, the field, the value found and
 * what is supported.
 */
public class UnsupportedTokenizerException extends IOException {

    private final transient Path file;
    private final String field;
    private final String value;

    public UnsupportedTokenizerException(Path file, String field, String value, String supported) {
        super((file == null ? "<memory>" : file.toString()) + ", field " + field + ": unsupported value '"
                + value + "'; supported: " + supported);
        this.file = file;
        this.field = field;
        this.value = value;
    }

    /** The file that was read, or null. */
    public Path file() {
        return file;
    }

    /** The field whose value is not supported. */
    public String field() {
        return field;
    }

    /** The unsupported value as found in the file. */
    public String value() {
        return value;
    }
}
