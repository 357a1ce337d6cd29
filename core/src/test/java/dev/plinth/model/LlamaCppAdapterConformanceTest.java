package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.model.lora.LoraAdapter;
import dev.plinth.model.lora.LoraGguf;
import dev.plinth.model.lora.RandomAdapters;
import dev.plinth.tensor.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * llama.cpp loads the LoRA GGUF Plinth writes ({@code llama_adapter_lora_init}) on the same base and
 * applies it ({@code llama_set_adapters_lora}) with scale 1 and 0.5; Plinth applies the same file at
 * run time. As in {@link LlamaCppConformanceTest}: a 64-token prompt, then llama.cpp's 32 greedy
 * tokens fed to both (teacher forcing), each step's next-token distribution compared over
 * llama.cpp's top 100. F32 base: max |Δ log-prob| at most {@link #F32_BOUND} and the same top-1
 * token at every step; Q8_0 base: within the Q8_0 bounds of {@link LlamaCppConformanceTest#bound}.
 * The adapters are random with B non-zero (rank 8 on every projection of every block), so they move
 * the logits: a freshly initialised adapter (B = 0) would test nothing.
 */
class LlamaCppAdapterConformanceTest {
    static final int RANK = 8;
    static final float ALPHA = 16;
    static final double F32_BOUND = 1e-5;

    @TempDir
    static Path dir;

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (RandomDecoders.Variant v : List.of(RandomDecoders.Variant.LLAMA, RandomDecoders.Variant.MISTRAL,
                RandomDecoders.Variant.QWEN2)) {
            for (DType t : List.of(DType.F32, DType.Q8_0)) {
                for (float scale : new float[] {1f, 0.5f}) {
                    out.add(Arguments.of(v, t, scale));
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1} scale {2}")
    @MethodSource("cases")
    void llamaCppAppliesPlinthsAdapterAsPlinthDoes(RandomDecoders.Variant variant, DType type, float scale)
            throws Throwable {
        long seed = 500L + 10L * variant.ordinal() + type.ordinal();
        Path base = dir.resolve(variant + "-" + type + ".gguf");
        DecoderConfig config = variant.config(LlamaCppConformanceTest.HIDDEN, LlamaCppConformanceTest.FFN,
                LlamaCppConformanceTest.LAYERS, LlamaCppConformanceTest.VOCAB, LlamaCppConformanceTest.CONTEXT);
        RandomDecoders.model(variant, type, LlamaCppConformanceTest.HIDDEN, LlamaCppConformanceTest.FFN,
                LlamaCppConformanceTest.LAYERS, LlamaCppConformanceTest.VOCAB, LlamaCppConformanceTest.CONTEXT, seed)
                .writeGguf(base);
        LoraAdapter adapter = RandomAdapters.of(config, RandomAdapters.ALL_ROLES, RANK, ALPHA, 0.5, seed + 1);
        Path file = dir.resolve(variant + "-" + type + "-" + scale + ".lora.gguf");
        LoraGguf.write(adapter, file);
        int[] prompt = new SplittableRandom(seed + 7).ints(LlamaCppConformanceTest.PROMPT, 0,
                LlamaCppConformanceTest.VOCAB).toArray();

        float[][] reference = llamaCpp(base, file, scale, prompt);
        float[][] ours = plinth(base, file, scale, prompt, reference);
        float[][] unadapted = plinth(base, null, 0, prompt, reference);
        LlamaCppConformanceTest.Steps steps = LlamaCppConformanceTest.compare(reference, ours);
        LlamaCppConformanceTest.Steps moved = LlamaCppConformanceTest.compare(reference, unadapted);
        System.out.printf("| %s | %s | %.1f | %.2e | %.2e | %d/%d | %.2e |%n", variant, type, scale, steps.maxDelta(),
                steps.maxTv(), LlamaCppConformanceTest.GREEDY - steps.divergences().size(),
                LlamaCppConformanceTest.GREEDY, moved.maxDelta());

        assertTrue(moved.maxDelta() > 0.05, "the adapter moves llama.cpp's log-probs (by " + moved.maxDelta() + ")");
        LlamaCppConformanceTest.Bound b = type == DType.F32 ? new LlamaCppConformanceTest.Bound(F32_BOUND, F32_BOUND)
                : LlamaCppConformanceTest.bound(type);
        for (int i = 0; i < LlamaCppConformanceTest.GREEDY; i++) {
            String at = variant + " " + type + " scale " + scale + " step " + i;
            assertTrue(steps.delta()[i] <= b.delta(), at + ": max |Δ log-prob| " + steps.delta()[i] + " > " + b.delta());
            assertTrue(steps.tv()[i] <= b.tv(), at + ": total variation " + steps.tv()[i] + " > " + b.tv());
            if (type == DType.F32) {
                assertEquals(steps.reference()[i], steps.ours()[i], at + ": greedy token");
            } else {
                assertTrue(steps.ours()[i] == steps.reference()[i] || steps.pickGap()[i] <= b.nearTie(),
                        at + ": Plinth's top-1 " + steps.ours()[i] + " is " + steps.pickGap()[i] + " below llama.cpp's");
            }
        }
    }

    private static float[][] llamaCpp(Path base, Path adapter, float scale, int[] prompt) throws Throwable {
        float[][] logits = new float[LlamaCppConformanceTest.GREEDY][];
        try (LlamaCppRunner ref = new LlamaCppRunner(base, LlamaCppConformanceTest.CONTEXT, 1, List.of(adapter),
                new float[] {scale})) {
            logits[0] = ref.decode(prompt);
            for (int i = 1; i < logits.length; i++) {
                logits[i] = ref.decode(new int[] {DecoderModel.argmax(logits[i - 1])});
            }
        }
        return logits;
    }

    /** Plinth's logits with the adapter file at {@code scale} (none when null), teacher-forced on llama.cpp's tokens. */
    private static float[][] plinth(Path base, Path adapter, float scale, int[] prompt, float[][] reference)
            throws Exception {
        float[][] logits = new float[LlamaCppConformanceTest.GREEDY][];
        try (DecoderModel m = DecoderModel.open(base)) {
            List<AppliedAdapter> adapters = adapter == null ? List.of()
                    : List.of(AppliedAdapter.read(adapter, scale, m.config()));
            DecoderModel.Session s = m.newSession(LlamaCppConformanceTest.CONTEXT, adapters);
            logits[0] = m.forward(s, prompt);
            for (int i = 1; i < logits.length; i++) {
                logits[i] = m.forward(s, new int[] {DecoderModel.argmax(reference[i - 1])});
            }
        }
        return logits;
    }
}
