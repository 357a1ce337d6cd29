package dev.plinth.text;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.gguf.GgufFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Plinth's GGUF tokenizers give the ids of llama.cpp itself (its prebuilt library, called through
 * java.lang.foreign) on the shared conformance strings (SentencePiece, WordPiece and byte-level
 * vocabularies), with special tokens neither added nor
 * parsed, and with both, and on strings studded with the vocabulary's special-token texts.
 */
class LlamaCppReferenceTest {

    private static List<String> strings;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void sample() {
        strings = TokenizerSamples.first(1000);
    }

    static Stream<String> vocabularies() {
        return Stream.of("tokenizer-vectors/ggml-vocab-llama-spm.gguf", "tokenizer-vectors/ggml-vocab-phi-3.gguf",
                "tokenizer-vectors/ggml-vocab-bert-bge.gguf", "tokenizer-vectors/ggml-vocab-baichuan.gguf",
                "models/stories260K/stories260K.gguf", "tokenizer-vectors/ggml-vocab-gpt-2.gguf",
                "tokenizer-vectors/ggml-vocab-falcon.gguf", "tokenizer-vectors/ggml-vocab-starcoder.gguf",
                "tokenizer-vectors/ggml-vocab-deepseek-coder.gguf", "tokenizer-vectors/ggml-vocab-deepseek-llm.gguf",
                "tokenizer-vectors/ggml-vocab-mpt.gguf", "tokenizer-vectors/ggml-vocab-refact.gguf",
                "tokenizer-vectors/ggml-vocab-gpt-neox.gguf");
    }

    @ParameterizedTest
    @MethodSource("vocabularies")
    void idsEqualLlamaCppLibrary(String file) throws Throwable {
        Path path = SharedData.require(file);
        try (LlamaCppReference ref = LlamaCppReference.load(path); GgufFile gguf = GgufFile.open(path)) {
            Tokenizer plinth = Tokenizers.fromGguf(gguf);
            List<String> inputs = new ArrayList<>(strings);
            inputs.addAll(withSpecialTexts(plinth));
            List<String> failures = new ArrayList<>();
            int same = 0;
            for (String s : inputs) {
                boolean ok = true;
                for (boolean special : new boolean[] {false, true}) {
                    int[] expected = ref.encode(s, special, special);
                    int[] got = plinth.encode(s, special, special);
                    if (!Arrays.equals(expected, got)) {
                        ok = false;
                        if (failures.size() < 8) {
                            failures.add((special ? "[special] " : "") + LlamaCppVectors.escape(s.length() > 200 ? s.substring(0, 200) : s)
                                    + "\n  llama.cpp " + Arrays.toString(expected) + "\n  plinth    " + Arrays.toString(got));
                        }
                    }
                }
                same += ok ? 1 : 0;
            }
            System.out.printf("llama.cpp library vs Plinth, %s: %d/%d strings give identical ids "
                    + "(add/parse special off and on)%n", path.getFileName(), same, inputs.size());
            assertTrue(same == inputs.size(), (inputs.size() - same) + " differ:\n" + String.join("\n", failures));
        }
    }

    /** Strings that contain the text of special and user-defined tokens, with spaces around some. */
    private static List<String> withSpecialTexts(Tokenizer t) {
        List<String> specials = new ArrayList<>();
        SpecialTokens st = specialsOf(t);
        if (st != null) {
            for (SpecialTokens.Entry e : st.entries()) {
                specials.add(e.text());
            }
        }
        List<String> out = new ArrayList<>();
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 200 && !specials.isEmpty(); i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < 4; k++) {
                String base = strings.get(random.nextInt(strings.size()));
                int cut = Math.min(base.length(), random.nextInt(40));
                if (cut > 0 && Character.isHighSurrogate(base.charAt(cut - 1))) {
                    cut--;
                }
                sb.append(base, 0, cut);
                sb.append(random.nextBoolean() ? " " : "").append(specials.get(random.nextInt(specials.size())))
                        .append(random.nextBoolean() ? " " : "");
            }
            out.add(sb.toString());
        }
        return out;
    }

    private static SpecialTokens specialsOf(Tokenizer t) {
        return switch (t) {
            case SpmTokenizer spm -> spm.specialTokens();
            case WordPieceTokenizer wp -> wp.specialTokens();
            case ByteLevelBpeTokenizer bpe -> bpe.specialTokens();
            default -> null;
        };
    }
}
