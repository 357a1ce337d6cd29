package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.gguf.GgufWriter;
import dev.plinth.io.hf.HfConfig;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.RopeLayout;
import dev.plinth.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Properties of the forward pass that hold whatever the weights: batching, caching, windows, formats. */
class DecoderModelTest {
    private static final int VOCAB = 512;

    @TempDir
    Path dir;

    private Path model(RandomDecoders.Variant v, int layers) throws Exception {
        Path p = dir.resolve(v + "-" + layers + ".gguf");
        random(v, layers).writeGguf(p);
        return p;
    }

    private static RandomModels.Builder random(RandomDecoders.Variant v, int layers) {
        return RandomDecoders.model(v, DType.F32, 256, 512, layers, VOCAB, 256, 77 + v.ordinal());
    }

    private static int[] tokens(long seed, int n) {
        return new SplittableRandom(seed).ints(n, 0, VOCAB).toArray();
    }

    @Test
    void batchOfSequencesEqualsEachAlone() throws Exception {
        try (DecoderModel m = DecoderModel.open(model(RandomDecoders.Variant.LLAMA3, 2))) {
            int[][] prompts = {tokens(1, 5), tokens(2, 17), tokens(3, 1)};
            DecoderModel.Session[] batch = new DecoderModel.Session[3];
            DecoderModel.Session[] alone = new DecoderModel.Session[3];
            for (int i = 0; i < 3; i++) {
                batch[i] = m.newSession(64);
                alone[i] = m.newSession(64);
            }
            float[][] got = m.forwardBatch(batch, prompts);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(m.forward(alone[i], prompts[i]), got[i], 1e-4f, "prefill of sequence " + i);
            }
            int[][] next = {{7}, {8}, {9}};
            got = m.forwardBatch(batch, next);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(m.forward(alone[i], next[i]), got[i], 1e-4f, "decode step of sequence " + i);
                assertEquals(prompts[i].length + 1, batch[i].position());
            }
        }
    }

    @Test
    void allPositionLogitsMatchIncrementalForward() throws Exception {
        try (DecoderModel m = DecoderModel.open(model(RandomDecoders.Variant.QWEN3, 2))) {
            int[] t = tokens(4, 12);
            float[] all = m.forwardAll(m.newSession(32), t);
            DecoderModel.Session s = m.newSession(32);
            for (int i = 0; i < t.length; i++) {
                float[] step = m.forward(s, new int[] {t[i]});
                assertArrayEquals(step, Arrays.copyOfRange(all, i * VOCAB, (i + 1) * VOCAB), 1e-4f, "position " + i);
            }
            s.truncate(6);
            float[] again = m.forward(s, Arrays.copyOfRange(t, 6, 12));
            assertArrayEquals(Arrays.copyOfRange(all, 11 * VOCAB, 12 * VOCAB), again, 1e-4f, "after truncate");
        }
    }

    @Test
    void batchOfContinuationsFromACopiedPrefixMatchesEachSequenceAlone() throws Exception {
        try (DecoderModel m = DecoderModel.open(model(RandomDecoders.Variant.LLAMA3, 2))) {
            int[] prefix = tokens(5, 9);
            int[][] continuations = {tokens(6, 3), tokens(7, 1), tokens(8, 5)};
            DecoderModel.Session shared = m.newSession(16);
            m.forward(shared, prefix);
            DecoderModel.Session[] forks = new DecoderModel.Session[continuations.length];
            for (int i = 0; i < forks.length; i++) {
                forks[i] = m.newSession(prefix.length + continuations[i].length);
                forks[i].copyPrefix(shared, prefix.length);
            }
            float[] all = m.forwardBatchAll(forks, continuations);
            int row = 0;
            for (int i = 0; i < continuations.length; i++) {
                int[] whole = new int[prefix.length + continuations[i].length];
                System.arraycopy(prefix, 0, whole, 0, prefix.length);
                System.arraycopy(continuations[i], 0, whole, prefix.length, continuations[i].length);
                float[] alone = m.forwardAll(m.newSession(whole.length), whole);
                for (int j = 0; j < continuations[i].length; j++, row++) {
                    int at = prefix.length + j;
                    assertArrayEquals(Arrays.copyOfRange(alone, at * VOCAB, (at + 1) * VOCAB),
                            Arrays.copyOfRange(all, row * VOCAB, (row + 1) * VOCAB), 1e-4f, "continuation " + i + " token " + j);
                }
                assertEquals(whole.length, forks[i].position());
            }
            assertThrows(IllegalArgumentException.class, () -> forks[0].copyPrefix(shared, prefix.length + 1),
                    "more positions than the other sequence holds");
            assertThrows(IllegalArgumentException.class, () -> m.newSession(4).copyPrefix(shared, 5),
                    "more positions than this cache holds");
        }
    }

    /**
     * With one layer and RoPE depending only on relative positions, a query that sees the last W
     * keys gives what full attention gives on just those W tokens.
     */
    @Test
    void slidingWindowSeesOnlyTheLastWindowTokens() throws Exception {
        Path full = model(RandomDecoders.Variant.MISTRAL, 1);
        Path windowed = dir.resolve("windowed.gguf");
        try (GgufFile g = GgufFile.open(full)) {
            GgufWriter.copyOf(g).put("llama.attention.sliding_window", GgufValue.ofUint32(8)).write(windowed);
        }
        int[] t = tokens(5, 20);
        try (DecoderModel w = DecoderModel.open(windowed); DecoderModel f = DecoderModel.open(full)) {
            assertEquals(8, w.config().slidingWindow());
            float[] got = w.forward(w.newSession(32), t);
            float[] lastEight = f.forward(f.newSession(32), Arrays.copyOfRange(t, 12, 20));
            assertArrayEquals(lastEight, got, 2e-4f);
            float[] unwindowed = f.forward(f.newSession(32), t);
            assertTrue(maxAbsDiff(unwindowed, got) > 1e-2, "the window must change the result");
        }
    }

    /**
     * A Hugging Face folder of the same weights gives the same logits: HF llama q/k rows are in
     * the order llama.cpp's converter undoes, so the folder runs NeoX RoPE where the GGUF runs
     * interleaved RoPE.
     */
    @Test
    void huggingFaceFolderMatchesGguf() throws Exception {
        for (RandomDecoders.Variant v : List.of(RandomDecoders.Variant.LLAMA, RandomDecoders.Variant.QWEN2,
                RandomDecoders.Variant.QWEN3)) {
            Path gguf = model(v, 2);
            Path folder = dir.resolve("hf-" + v);
            random(v, 2).writeHuggingFace(folder);
            int[] t = tokens(6, 10);
            try (DecoderModel a = DecoderModel.open(gguf); DecoderModel b = DecoderModel.open(folder)) {
                assertEquals(RopeLayout.NEOX, b.config().ropeLayout());
                assertArrayEquals(a.forward(a.newSession(16), t), b.forward(b.newSession(16), t), 1e-4f, v.name());
            }
        }
    }

    @Test
    void llama3RopeScalingFromConfigJson() throws Exception {
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048,
                 "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
                 "intermediate_size": 8192, "vocab_size": 128256, "max_position_embeddings": 131072,
                 "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "tie_word_embeddings": true,
                 "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                  "original_max_position_embeddings": 8192, "rope_type": "llama3"}}
                """, StandardCharsets.UTF_8);
        DecoderConfig c = DecoderConfig.fromHf(HfConfig.read(cfg));
        assertEquals(64, c.headDim());
        assertEquals(8, c.kvHeads());
        float[] f = c.ropeFreqFactors();
        assertEquals(32, f.length);
        // wavelength 2π·500000^(2i/64): below 8192/4 = 2048 kept, above 8192 divided by 32, blended between
        for (int i = 0; i < f.length; i++) {
            double wavelen = 2 * Math.PI * Math.pow(500000, 2.0 * i / 64);
            if (wavelen < 2048) {
                assertEquals(1f, f[i], "pair " + i);
            } else if (wavelen > 8192) {
                assertEquals(32f, f[i], "pair " + i);
            } else {
                assertTrue(f[i] > 1 && f[i] < 32, "pair " + i + " = " + f[i]);
            }
        }
    }

    @Test
    void unsupportedArchitectureListsWhatIsSupported() throws Exception {
        Path p = dir.resolve("gpt2.gguf");
        new GgufWriter().put("general.architecture", GgufValue.of("gpt2"))
                .add(Tensor.ofFloats("token_embd.weight", new float[64], 4, 16)).write(p);
        var e = assertThrows(UnsupportedModelException.class, () -> DecoderModel.open(p));
        assertTrue(e.getMessage().contains("gpt2") && e.getMessage().contains("qwen3"), e.getMessage());
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, "{\"architectures\": [\"GPT2LMHeadModel\"], \"hidden_size\": 8}");
        var h = assertThrows(UnsupportedModelException.class, () -> DecoderConfig.fromHf(HfConfig.read(cfg)));
        assertTrue(h.getMessage().contains("Qwen2ForCausalLM"), h.getMessage());
    }

    @Test
    void contextOverflowBadTokensAndNoTokensAreRejected() throws Exception {
        try (DecoderModel m = DecoderModel.open(model(RandomDecoders.Variant.LLAMA, 1))) {
            DecoderModel.Session s = m.newSession(4);
            assertThrows(IllegalStateException.class, () -> m.forward(s, tokens(1, 5)));
            assertThrows(IllegalArgumentException.class, () -> m.forward(s, new int[] {VOCAB}));
            assertThrows(IllegalArgumentException.class, () -> m.forward(s, new int[] {-1}));
            assertThrows(IllegalArgumentException.class, () -> m.forward(s, new int[0]), "no tokens, no logits");
            DecoderModel.Session other = m.newSession(4);
            assertThrows(IllegalArgumentException.class,
                    () -> m.forwardBatch(new DecoderModel.Session[] {s, other}, new int[][] {{1}, {}}));
            assertEquals(0, s.position());
            assertEquals(0, other.position());
        }
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
