package dev.plinth.cli;

import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.hf.TokenizerConfig;
import dev.plinth.model.DecoderModel;
import dev.plinth.model.DecoderSequence;
import dev.plinth.text.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A MODEL argument opened for generation: the decoder, its tokenizer and its chat template
 * source (GGUF {@code tokenizer.chat_template}, or {@code chat_template} of a Hugging Face
 * folder's {@code tokenizer_config.json}; null when the model has none).
 */
final class ModelRuntime implements AutoCloseable {

    /** The default context cap: a model's full context (up to 128k) would need a huge KV cache. */
    static final int DEFAULT_MAX_CONTEXT = 4096;

    /** End-of-turn markers of common chat templates, stop tokens when the vocabulary has them. */
    private static final String[] END_OF_TURN = {"<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>",
        "<|endoftext|>", "<|end_of_text|>", "</s>"};

    private final DecoderModel model;
    private final TokenizerLoader tokenizer;
    private final String chatTemplate;

    private ModelRuntime(DecoderModel model, TokenizerLoader tokenizer, String chatTemplate) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
    }

    static ModelRuntime open(Path path, Path tokenizerFile, Console console) throws IOException {
        TokenizerLoader loader = TokenizerLoader.open(path, tokenizerFile, console);
        try {
            DecoderModel model = DecoderModel.open(path);
            return new ModelRuntime(model, loader, chatTemplateOf(path));
        } catch (IOException | RuntimeException e) {
            loader.close();
            throw e;
        }
    }

    private static String chatTemplateOf(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            Path config = path.resolve("tokenizer_config.json");
            return Files.isRegularFile(config) ? TokenizerConfig.read(config).chatTemplate().orElse(null) : null;
        }
        if (path.getFileName().toString().endsWith(".gguf")) {
            try (GgufFile gguf = GgufFile.open(path)) {
                return gguf.getString("tokenizer.chat_template", null);
            }
        }
        return null;
    }

    Tokenizer tokenizer() {
        return tokenizer.tokenizer();
    }

    DecoderModel model() {
        return model;
    }

    /** The chat template's Jinja source, or null when the model carries none. */
    String chatTemplate() {
        return chatTemplate;
    }

    /** The context length for {@code --ctx N}: N, or the model's own capped at {@link #DEFAULT_MAX_CONTEXT}. */
    int contextLength(int requested) {
        if (requested < 0) {
            throw new IllegalArgumentException("--ctx must not be negative, got " + requested);
        }
        return requested > 0 ? requested : Math.min(model.config().contextLength(), DEFAULT_MAX_CONTEXT);
    }

    DecoderSequence newSequence(int contextLength) {
        return DecoderSequence.of(model, contextLength);
    }

    /** The ids of the end-of-turn markers this vocabulary has as single special tokens, EOS excluded. */
    Set<Integer> endOfTurnTokens() {
        Tokenizer tok = tokenizer();
        Set<Integer> ids = new LinkedHashSet<>();
        for (String marker : END_OF_TURN) {
            int[] enc = tok.encode(marker, false, true);
            if (enc.length == 1 && tok.piece(enc[0]).equals(marker) && enc[0] != tok.eosId()) {
                ids.add(enc[0]);
            }
        }
        return ids;
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}
