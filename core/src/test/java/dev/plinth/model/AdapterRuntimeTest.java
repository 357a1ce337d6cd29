package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.model.lora.LoraAdapter;
import dev.plinth.model.lora.LoraGguf;
import dev.plinth.model.lora.PeftAdapters;
import dev.plinth.model.lora.RandomAdapters;
import dev.plinth.model.convert.GgufQuantizer;
import dev.plinth.model.convert.LoraMerge;
import dev.plinth.model.convert.QuantType;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.tensor.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adapters applied at run time, per sequence, against the same adapters merged into the base (F32:
 * logits within {@link #F32_BOUND}), in batches that mix adapter sets, from either file kind on
 * either base format; and the refusals of adapters that do not fit.
 */
class AdapterRuntimeTest {
    static final int HIDDEN = 64;
    static final int FFN = 128;
    static final int LAYERS = 2;
    static final int VOCAB = 300;
    static final int CONTEXT = 64;
    static final double F32_BOUND = 1e-5;

    @TempDir
    Path dir;

    static DecoderConfig config(RandomDecoders.Variant v) {
        return v.config(HIDDEN, FFN, LAYERS, VOCAB, CONTEXT);
    }

    static Path writeBase(Path dir, RandomDecoders.Variant v, long seed) throws Exception {
        Path file = dir.resolve(v + "-base.gguf");
        RandomDecoders.model(v, DType.F32, HIDDEN, FFN, LAYERS, VOCAB, CONTEXT, seed).writeGguf(file);
        return file;
    }

    static int[] prompt(long seed, int n) {
        return new SplittableRandom(seed).ints(n, 0, VOCAB).toArray();
    }

    /** Logits of every prompt position, then of four decode steps on fixed tokens. */
    static float[][] logits(DecoderModel m, List<AppliedAdapter> adapters, int[] prompt) {
        DecoderModel.Session s = m.newSession(CONTEXT, adapters);
        float[][] out = new float[5][];
        out[0] = m.forwardAll(s, prompt);
        for (int i = 1; i < out.length; i++) {
            out[i] = m.forward(s, new int[] {(7 * i) % VOCAB});
        }
        return out;
    }

    static double maxDiff(float[][] a, float[][] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i].length, b[i].length);
            for (int j = 0; j < a[i].length; j++) {
                max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return max;
    }

    @ParameterizedTest
    @EnumSource(value = RandomDecoders.Variant.class, names = {"LLAMA", "LLAMA3", "QWEN2", "QWEN3"})
    void runtimeAdaptersGiveTheMergedBasesLogits(RandomDecoders.Variant v) throws Exception {
        DecoderConfig c = config(v);
        Path base = writeBase(dir, v, 11);
        AppliedAdapter one = new AppliedAdapter("one", RandomAdapters.of(c, RandomAdapters.ALL_ROLES, 8, 16, 0.5, 1), 1f);
        AppliedAdapter two = new AppliedAdapter("two", RandomAdapters.of(c, List.of("attn_v", "ffn_down"), 4, 4, 0.5, 2),
                0.5f);
        List<AppliedAdapter> both = List.of(one, two);
        Path merged = dir.resolve(v + "-merged.gguf");
        LoraMerge.writeGguf(base, null, both, merged, QuantType.F32, GgufQuantizer.Listener.NONE);
        int[] prompt = prompt(3, 24);
        float[][] runtime;
        float[][] plain;
        try (DecoderModel m = DecoderModel.open(base)) {
            runtime = logits(m, both, prompt);
            plain = logits(m, List.of(), prompt);
        }
        float[][] reference;
        try (DecoderModel m = DecoderModel.open(merged)) {
            reference = logits(m, List.of(), prompt);
        }
        double diff = maxDiff(runtime, reference);
        double moved = maxDiff(plain, reference);
        System.out.printf("%s: runtime adapters vs merged base, max |Δ logit| %.2e (the adapters move logits by up to %.2f)%n",
                v, diff, moved);
        assertTrue(diff <= F32_BOUND, v + ": max |Δ logit| " + diff);
        assertTrue(moved > 0.1, "the adapters change the logits");
    }

    @Test
    void oneBatchMixesSequencesWithDifferentAdapters() throws Exception {
        RandomDecoders.Variant v = RandomDecoders.Variant.LLAMA3;
        DecoderConfig c = config(v);
        Path base = writeBase(dir, v, 12);
        AppliedAdapter a = new AppliedAdapter("a", RandomAdapters.of(c, RandomAdapters.ALL_ROLES, 4, 8, 0.5, 3), 1f);
        AppliedAdapter b = new AppliedAdapter("b", RandomAdapters.of(c, List.of("attn_q", "ffn_up"), 2, 2, 0.5, 4), 1f);
        List<List<AppliedAdapter>> sets = List.of(List.of(), List.of(a), List.of(a), List.of(b), List.of(a, b), List.of());
        try (DecoderModel m = DecoderModel.open(base)) {
            int[][] prompts = new int[sets.size()][];
            DecoderModel.Session[] batch = new DecoderModel.Session[sets.size()];
            float[][] alone = new float[sets.size()][];
            for (int i = 0; i < sets.size(); i++) {
                prompts[i] = prompt(20 + i, 3 + i);
                batch[i] = m.newSession(CONTEXT, sets.get(i));
                alone[i] = m.forward(m.newSession(CONTEXT, sets.get(i)), prompts[i]);
            }
            float[][] together = m.forwardBatch(batch, prompts);
            double diff = maxDiff(alone, together);
            System.out.printf("mixed batch of %d sequences vs each alone: max |Δ logit| %.2e%n", sets.size(), diff);
            assertTrue(diff <= F32_BOUND, "max |Δ logit| " + diff);
            assertTrue(maxDiff(new float[][] {alone[1]}, new float[][] {alone[0]}) > 0.01);
            assertEquals(List.of(a), batch[1].adapters());
        }
    }

    @Test
    void peftFolderAndGgufGiveIdenticalLogitsOnGgufAndHuggingFaceBases() throws Exception {
        for (RandomDecoders.Variant v : List.of(RandomDecoders.Variant.MISTRAL, RandomDecoders.Variant.QWEN2)) {
            DecoderConfig c = config(v);
            RandomModels.Builder model = RandomDecoders.model(v, DType.F32, HIDDEN, FFN, LAYERS, VOCAB, CONTEXT, 13);
            Path gguf = dir.resolve(v + ".gguf");
            Path hf = dir.resolve(v + "-hf");
            model.writeGguf(gguf);
            model.writeHuggingFace(hf);
            LoraAdapter adapter = RandomAdapters.of(c, RandomAdapters.ALL_ROLES, 4, 8, 0.5, 5);
            Path peft = dir.resolve(v + "-peft");
            Path lora = dir.resolve(v + "-lora.gguf");
            PeftAdapters.write(adapter, peft, c);
            LoraGguf.write(adapter, lora);
            int[] prompt = prompt(6, 16);
            float[][][] out = new float[4][][];
            int i = 0;
            for (Path base : List.of(gguf, hf)) {
                try (DecoderModel m = DecoderModel.open(base)) {
                    for (Path file : List.of(peft, lora)) {
                        out[i++] = logits(m, List.of(AppliedAdapter.read(file, 1f, m.config())), prompt);
                    }
                }
            }
            assertIdentical(LoraAdapter.read(peft, c), LoraAdapter.read(lora, c));
            // the same adapter, so the same products: runs differ only by float rounding while the JIT warms up
            double onGguf = maxDiff(out[0], out[1]);
            double onHf = maxDiff(out[2], out[3]);
            System.out.printf("%s: PEFT folder vs LoRA GGUF, max |Δ logit| %.2e on the GGUF base, %.2e on the HF base%n",
                    v, onGguf, onHf);
            assertTrue(onGguf <= F32_BOUND && onHf <= F32_BOUND, v + ": PEFT and GGUF adapters differ");
            double across = maxDiff(out[0], out[2]);
            System.out.printf("%s: adapter on the GGUF base vs on the Hugging Face base, max |Δ logit| %.2e%n", v, across);
            assertTrue(across <= F32_BOUND, v + ": " + across);
        }
    }

    @Test
    void adaptersThatDoNotFitAreRefusedSayingWhich() throws Exception {
        RandomDecoders.Variant v = RandomDecoders.Variant.LLAMA;
        DecoderConfig c = config(v);
        Path base = writeBase(dir, v, 14);
        DecoderConfig wider = v.config(2 * HIDDEN, FFN, LAYERS, VOCAB, CONTEXT);
        LoraAdapter good = RandomAdapters.of(c, List.of("attn_q"), 2, 2, 0.5, 6);
        try (DecoderModel m = DecoderModel.open(base)) {
            String digest = LoraAdapter.baseDigest(base);
            m.check(new AppliedAdapter("good", withMetadata(good, Map.of(LoraAdapter.META_BASE_DIGEST, digest)), 1f));
            assertRefused(m, new LoraAdapter("qwen2", false, good.pairs(), Map.of(), Map.of()), "qwen2 base");
            assertRefused(m, RandomAdapters.of(wider, List.of("ffn_up"), 2, 2, 0.5, 7), "blk.0.ffn_up.weight of [out, in] = [128, 128]");
            assertRefused(m, new LoraAdapter("llama", false, Map.of("blk.9.attn_q.weight",
                    good.pairs().get("blk.0.attn_q.weight")), Map.of(), Map.of()), "blk.9.attn_q.weight, which is not");
            assertRefused(m, new LoraAdapter("llama", false, Map.of(), Map.of("output.weight",
                    good.pairs().get("blk.0.attn_q.weight").a()), Map.of()), "replaces the base weight output.weight");
            assertRefused(m, withMetadata(good, Map.of(LoraAdapter.META_BASE_DIGEST, "00ff")), "sha256 00ff");
        }
    }

    /** The same pairs, bit for bit, and the same scales. */
    static void assertIdentical(LoraAdapter expected, LoraAdapter actual) {
        assertEquals(expected.pairs().keySet(), actual.pairs().keySet());
        expected.pairs().forEach((name, p) -> {
            LoraAdapter.Pair q = actual.pairs().get(name);
            assertArrayEquals(floats(p.a()), floats(q.a()), name);
            assertArrayEquals(floats(p.b()), floats(q.b()), name);
            assertEquals(expected.scale(p), actual.scale(q), name);
        });
    }

    static float[] floats(dev.plinth.tensor.Tensor t) {
        return t.data().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED);
    }

    private static LoraAdapter withMetadata(LoraAdapter a, Map<String, String> meta) {
        return new LoraAdapter(a.architecture(), a.rsLora(), a.pairs(), a.wholeTensors(), meta);
    }

    private static void assertRefused(DecoderModel m, LoraAdapter adapter, String expected) {
        AdapterMismatchException e = assertThrows(AdapterMismatchException.class,
                () -> m.newSession(8, List.of(new AppliedAdapter("x.gguf", adapter, 1f))));
        assertTrue(e.getMessage().startsWith("adapter x.gguf ") && e.getMessage().contains(expected), e.getMessage());
    }
}
