package dev.plinth.text;

import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.llama2c.Llama2cVocabulary;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds the {@link Tokenizer} a model file describes.
 *
 * <ul>
 * <li>{@link #fromGguf}: dispatches on {@code tokenizer.ggml.model} and gives llama.cpp's ids:
 * {@code llama} (SentencePiece-style BPE by scores), {@code bert} (WordPiece), {@code gpt2} (byte-level
 * BPE with the pre-tokenizer {@code tokenizer.ggml.pre} names).</li>
 * <li>{@link #fromLlama2c}: a llama2.c {@code tokenizer.bin}, giving llama2.c's ids.</li>
 * <li>{@link #fromTokenizerJson}: a Hugging Face {@code tokenizer.json}, giving the ids of HF
 * tokenizers: model {@code WordPiece} (BertNormalizer, BertPreTokenizer), model {@code BPE} in the
 * SentencePiece style (▁ escaping, byte fallback: Llama-2, Mistral, TinyLlama), model {@code BPE}
 * byte-level (ByteLevel pre-tokenizer: GPT-2, Llama-3, Qwen2, StarCoder, DeepSeek...).</li>
 * </ul>
 * Anything else raises {@link UnsupportedTokenizerException} naming what is supported.
 */
public final class Tokenizers {
    private Tokenizers() {
    }

    static final String SUPPORTED_GGUF_MODELS = "llama (SentencePiece BPE), bert (WordPiece), gpt2 (byte-level BPE)";

    /** The tokenizer of a GGUF file's {@code tokenizer.ggml.*} metadata, as llama.cpp builds it. */
    public static Tokenizer fromGguf(GgufFile gguf) throws IOException {
        String model = gguf.getString("tokenizer.ggml.model", null);
        if (model == null) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.model", -1,
                    "missing or not a string: the file describes no tokenizer");
        }
        return switch (model) {
            case "llama" -> GgufTokenizers.spm(gguf);
            case "bert" -> GgufTokenizers.wordPiece(gguf);
            case "gpt2" -> ByteLevelBpeTokenizer.fromGguf(gguf);
            default -> throw new UnsupportedTokenizerException(gguf.path(), "tokenizer.ggml.model", model,
                    SUPPORTED_GGUF_MODELS);
        };
    }

    /** The tokenizer of a Hugging Face {@code tokenizer.json}. */
    public static Tokenizer fromTokenizerJson(Path tokenizerJson) throws IOException {
        return TokenizerJson.read(tokenizerJson);
    }

    /**
     * llama2.c's tokenizer for a {@code tokenizer.bin} (e.g. {@code tok512.bin}), encoding as
     * llama2.c's {@code run.c} does; addSpecial adds BOS, parseSpecial has no effect.
     */
    public static Tokenizer fromLlama2c(Path tokenizerBin) throws IOException {
        Llama2cVocabulary vocab = Llama2cVocabulary.read(tokenizerBin);
        if (vocab.size() < 3 + 256) {
            throw new ModelFormatException(tokenizerBin, null, -1, "holds " + vocab.size()
                    + " tokens; a llama2.c tokenizer has <unk>, <s>, </s> and 256 byte tokens first");
        }
        return new Llama2cTokenizer(vocab);
    }

    /**
     * Writes a Hugging Face {@code tokenizer.json} (BPE with byte fallback, as HF's Llama
     * converter makes) for a GGUF {@code llama} vocabulary; merges are derived from the pieces
     * and ordered by the score of the merged piece, so HF's BPE reproduces llama.cpp's ids.
     */
    public static void writeSpmTokenizerJson(GgufFile gguf, Path out) throws IOException {
        SpmTokenizerJsonWriter.write(gguf, out);
    }

    /**
     * Writes a Hugging Face {@code tokenizer.json} for a GGUF {@code gpt2} (byte-level BPE)
     * vocabulary; HF tokenizers gives the ids llama.cpp gives. See {@link TokenizerJsonWriter}.
     */
    public static void writeByteLevelTokenizerJson(GgufFile gguf, Path out) throws IOException {
        TokenizerJsonWriter.write(ByteLevelBpeTokenizer.fromGguf(gguf), out);
    }
}
