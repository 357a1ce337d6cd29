package dev.plinth.text;

/**
 * Turns text into token ids and back, giving exactly the ids of the reference implementation
 * (llama.cpp for GGUF vocabularies, Hugging Face tokenizers for {@code tokenizer.json}).
 */
public interface Tokenizer {

    /**
     * Token ids of {@code text}.
     *
     * @param addSpecial   add the vocabulary's BOS/EOS (or CLS/SEP) as its configuration asks
     * @param parseSpecial treat the text of special and added control tokens in {@code text} as
     *                     those tokens rather than as plain text
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** Plain text of {@code ids}, special tokens rendered as their text. */
    String decode(int[] ids);

    /** The vocabulary entry of {@code id} as stored (e.g. with SentencePiece's ▁ or GPT-2's Ġ). */
    String piece(int id);

    int vocabSize();

    /** Beginning-of-sequence id, or -1 when the vocabulary has none. */
    int bosId();

    /** End-of-sequence id, or -1 when the vocabulary has none. */
    int eosId();
}
