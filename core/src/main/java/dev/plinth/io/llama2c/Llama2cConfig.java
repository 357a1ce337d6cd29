package dev.plinth.io.llama2c;

/**
 * The seven-int32 header of a llama2.c checkpoint. On disk a negative vocab size means the file
 * ends with a separate classifier; here {@code vocabSize} is always positive and
 * {@code sharedClassifier} says whether the output layer reuses the token embedding.
 */
public record Llama2cConfig(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize,
                            int seqLen, boolean sharedClassifier) {

    public int headSize() {
        return dim / nHeads;
    }

    /** Width of the key and value projections (grouped-query attention). */
    public int kvDim() {
        return (int) ((long) dim * nKvHeads / nHeads);
    }

    /** The vocab size as stored: negative when the classifier is separate. */
    public int storedVocabSize() {
        return sharedClassifier ? vocabSize : -vocabSize;
    }
}
