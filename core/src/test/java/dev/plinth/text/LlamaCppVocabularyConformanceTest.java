package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.io.gguf.GgufFile;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every llama.cpp test vector of a vocabulary must tokenize to llama.cpp's ids. Add a vocabulary
 * by adding its name to {@link #vocabularies()}.
 */
class LlamaCppVocabularyConformanceTest {

    static Stream<String> vocabularies() {
        return Stream.of("ggml-vocab-llama-spm", "ggml-vocab-phi-3", "ggml-vocab-bert-bge",
                "ggml-vocab-gpt-2", "ggml-vocab-deepseek-coder", "ggml-vocab-deepseek-llm", "ggml-vocab-falcon",
                "ggml-vocab-mpt", "ggml-vocab-refact", "ggml-vocab-starcoder");
    }

    @ParameterizedTest
    @MethodSource("vocabularies")
    void idsEqualLlamaCpp(String vocabName) throws Exception {
        LlamaCppVectors vectors = LlamaCppVectors.load(vocabName);
        try (GgufFile gguf = GgufFile.open(vectors.vocab())) {
            Tokenizer tokenizer = Tokenizers.fromGguf(gguf);
            List<String> failures = vectors.check(tokenizer);
            assertTrue(failures.isEmpty(), failures.size() + " of " + vectors.inputs().size() + " differ:\n"
                    + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
            assertEquals(vectors.inputs().size(), vectors.expected().size());
        }
    }
}
