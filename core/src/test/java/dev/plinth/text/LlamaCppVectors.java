package dev.plinth.text;

import dev.plinth.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * llama.cpp's tokenizer test vectors ({@code ggml-vocab-X.gguf.inp/.out} under
 * {@code data/tokenizer-vectors}): the inputs and the ids llama.cpp gave them with
 * add_special=false, parse_special=false.
 */
record LlamaCppVectors(Path vocab, List<String> inputs, List<int[]> expected) {

    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    /** The vocabulary and its vectors; skips the calling test when the shared data are absent. */
    static LlamaCppVectors load(String vocabName) throws IOException {
        Path gguf = SharedData.require("tokenizer-vectors/" + vocabName + ".gguf");
        Path inp = SharedData.require("tokenizer-vectors/" + vocabName + ".gguf.inp");
        Path out = SharedData.require("tokenizer-vectors/" + vocabName + ".gguf.out");
        String all = Files.readString(inp, StandardCharsets.UTF_8);
        List<String> inputs = new ArrayList<>(Arrays.asList(all.split(SEPARATOR, -1)));
        if (!inputs.isEmpty() && inputs.getLast().isEmpty()) {
            inputs.removeLast();
        }
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        List<int[]> expected = new ArrayList<>();
        for (String line : lines) {
            String t = line.strip();
            expected.add(t.isEmpty() ? new int[0] : Arrays.stream(t.split(" ")).mapToInt(Integer::parseInt).toArray());
        }
        if (expected.size() != inputs.size()) {
            throw new IllegalStateException(vocabName + ": " + inputs.size() + " inputs but " + expected.size() + " outputs");
        }
        return new LlamaCppVectors(gguf, inputs, expected);
    }

    /** Failure descriptions (empty when all pass); prints the pass count. */
    List<String> check(Tokenizer tokenizer) {
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            int[] got = tokenizer.encode(inputs.get(i), false, false);
            if (!Arrays.equals(got, expected.get(i))) {
                failures.add("input " + i + " " + escape(inputs.get(i)) + ": expected " + Arrays.toString(expected.get(i))
                        + " got " + Arrays.toString(got));
            }
        }
        System.out.printf("llama.cpp vectors %s: %d/%d inputs give identical ids%n", vocab.getFileName(),
                inputs.size() - failures.size(), inputs.size());
        return failures;
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == '"') {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.append('"').toString();
    }
}
