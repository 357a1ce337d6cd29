package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.LlamaCppLibrary;
import dev.plinth.SharedData;
import dev.plinth.model.convert.GgufQuantizer;
import dev.plinth.model.convert.ModelConverter;
import dev.plinth.model.convert.QuantType;
import dev.plinth.model.convert.RandomModels;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Files written by Plinth's converter and random-model writer load in llama.cpp (libllama via FFM),
 * synthetic SentencePiece vocabulary included, and llama.cpp and Plinth compute the same logits.
 */
class ConvertedModelsLlamaCppTest {
    private static final int VOCAB = 320;
    private static final int CONTEXT = 64;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = QuantType.class, names = {"F16", "Q8_0", "Q4_0", "Q4_K_M", "Q6_K"})
    void quantizedRandomModelAgreesWithLlamaCpp(QuantType type) throws Throwable {
        DecoderConfig c = DecoderConfig.builder("llama").hiddenSize(256).layers(3).heads(4).kvHeads(2).ffnSize(512)
                .vocabSize(VOCAB).contextLength(CONTEXT).build();
        Path f32 = dir.resolve("f32.gguf");
        RandomModels.builder(c).seed(3).writeGguf(f32);
        Path file = dir.resolve(type.cliName() + ".gguf");
        GgufQuantizer.quantize(f32, file, type, GgufQuantizer.Listener.NONE);
        int[] prompt = new SplittableRandom(9).ints(12, 0, VOCAB).toArray();
        float[] reference;
        try (LlamaCppRunner ref = new LlamaCppRunner(file, CONTEXT, 2)) {
            assertEquals(VOCAB, ref.vocabSize());
            reference = ref.decode(prompt);
        }
        float[] ours;
        try (DecoderModel m = DecoderModel.open(file)) {
            m.setF16ActivationRounding(LlamaCppLibrary.roundsF16Activations());
            ours = m.forward(m.newSession(CONTEXT), prompt);
        }
        double r = correlation(reference, ours);
        System.out.printf("| %-6s | correlation of logits %.6f |%n", type, r);
        assertTrue(r > 0.999, type + ": correlation " + r);
    }

    /** stories260K.bin + tok512.bin converted to Q8_0 by Plinth: llama.cpp's greedy text equals Plinth's. */
    @Test
    void convertedStoriesGreedyAgreesWithLlamaCpp() throws Throwable {
        Path models = SharedData.require("models/stories260K");
        Path file = dir.resolve("stories-q8.gguf");
        ModelConverter.convert(models.resolve("stories260K.bin"), models.resolve("tok512.bin"), file, QuantType.Q8_0,
                GgufQuantizer.Listener.NONE);
        int[] prompt = {1, 403, 407, 261, 378};
        int n = 24;
        int[] theirs = new int[n];
        try (LlamaCppRunner ref = new LlamaCppRunner(file, 128, 2)) {
            float[] logits = ref.decode(prompt);
            for (int i = 0; i < n; i++) {
                theirs[i] = DecoderModel.argmax(logits);
                if (i + 1 < n) {
                    logits = ref.decode(new int[] {theirs[i]});
                }
            }
        }
        try (DecoderModel m = DecoderModel.open(file)) {
            assertArrayEquals(theirs, m.generateGreedy(prompt, n, -1));
        }
    }

    private static double correlation(float[] a, float[] b) {
        double ma = 0, mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= a.length;
        mb /= b.length;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }
}
