package dev.plinth.model.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.io.ModelFormatException;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.safetensors.SafetensorsFile;
import dev.plinth.model.DecoderConfig;
import dev.plinth.model.GgufLayout;
import dev.plinth.model.convert.RandomModels;
import dev.plinth.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both adapter files written and read back: pairs, alphas, row order, whole tensors, provenance. */
class LoraFilesTest {
    static final DecoderConfig LLAMA = DecoderConfig.builder("llama").hiddenSize(64).ffnSize(96).layers(2).heads(4)
            .kvHeads(2).vocabSize(300).build();
    static final DecoderConfig QWEN2 = DecoderConfig.builder("qwen2").hiddenSize(64).ffnSize(96).layers(2).heads(4)
            .kvHeads(2).vocabSize(300).build();

    @TempDir
    Path tmp;

    static float[] floats(Tensor t) {
        return t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
    }

    static void assertSamePairs(LoraAdapter expected, LoraAdapter actual) {
        assertEquals(expected.pairs().keySet(), actual.pairs().keySet());
        expected.pairs().forEach((name, p) -> {
            LoraAdapter.Pair q = actual.pairs().get(name);
            assertArrayEquals(p.a().shape(), q.a().shape(), name);
            assertArrayEquals(p.b().shape(), q.b().shape(), name);
            assertArrayEquals(floats(p.a()), floats(q.a()), name);
            assertArrayEquals(floats(p.b()), floats(q.b()), name);
            assertEquals(expected.scale(p), actual.scale(q), 1e-6f * expected.scale(p), name);
        });
    }

    private static LoraAdapter withMetadata(LoraAdapter a, Map<String, String> meta) {
        return new LoraAdapter(a.architecture(), a.rsLora(), a.pairs(), a.wholeTensors(), meta);
    }

    @Test
    void ggufRoundTripKeepsPairsAlphaAndProvenance() throws Exception {
        LoraAdapter a = withMetadata(RandomAdapters.of(LLAMA, RandomAdapters.ALL_ROLES, 4, 8, 0.5, 1),
                Map.of(LoraAdapter.META_BASE_DIGEST, "ab12", LoraAdapter.META_TASK, "chat"));
        Path f = tmp.resolve("a.gguf");
        LoraGguf.write(a, f);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals("adapter", g.getString("general.type", null));
            assertEquals("llama", g.getString("general.architecture", null));
            assertEquals("lora", g.getString("adapter.type", null));
            assertEquals(8.0, g.getDouble("adapter.lora.alpha", -1));
            assertEquals("ab12", g.getString("adapter.plinth.base.digest", null));
            GgufFile.TensorInfo qa = g.tensorInfo("blk.0.attn_q.weight.lora_a");
            assertArrayEquals(new long[] {4, 64}, qa.shape(), "lora_a is [r, in]");
            assertArrayEquals(new long[] {32, 4}, g.tensorInfo("blk.0.attn_k.weight.lora_b").shape(), "lora_b is [out, r]");
        }
        LoraAdapter back = LoraGguf.read(f);
        assertSamePairs(a, back);
        assertEquals(a.metadata(), back.metadata());
        assertEquals("llama", back.architecture());
    }

    @Test
    void ggufFoldsScalesIntoBWhenOneAlphaCannotServeAllPairs() throws Exception {
        LoraAdapter base = RandomAdapters.of(LLAMA, List.of("attn_q", "ffn_up"), 4, 8, 0.5, 2);
        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>(base.pairs());
        LoraAdapter.Pair up = pairs.get("blk.1.ffn_up.weight");
        pairs.put("blk.1.ffn_up.weight", new LoraAdapter.Pair(up.a(), up.b(), 32));
        for (boolean rs : new boolean[] {false, true}) {
            LoraAdapter mixed = new LoraAdapter("llama", rs, pairs, Map.of(), Map.of());
            Path f = tmp.resolve("mixed-" + rs + ".gguf");
            LoraGguf.write(mixed, f);
            LoraAdapter back = LoraGguf.read(f);
            assertEquals(0f, back.pairs().get("blk.0.attn_q.weight").alpha(), "alpha 0: every pair scaled by 1");
            mixed.pairs().forEach((name, p) -> {
                float[] expected = floats(p.b());
                float[] actual = floats(back.pairs().get(name).b());
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i] * mixed.scale(p), actual[i], 1e-6f, name);
                }
            });
        }
        LoraAdapter rsOneRank = new LoraAdapter("llama", true, base.pairs(), Map.of(), Map.of());
        Path f = tmp.resolve("rs.gguf");
        LoraGguf.write(rsOneRank, f);
        LoraAdapter back = LoraGguf.read(f);
        assertEquals(16f, back.pairs().get("blk.0.attn_q.weight").alpha(), 1e-5f, "rsLoRA alpha 8 at rank 4 is 16 over r");
        assertSamePairs(rsOneRank, back);
    }

    @Test
    void peftRoundTripOnBothRowOrders() throws Exception {
        for (DecoderConfig c : List.of(LLAMA, QWEN2)) {
            LoraAdapter a = withMetadata(RandomAdapters.of(c, RandomAdapters.ALL_ROLES, 4, 16, 0.5, 3),
                    Map.of(LoraAdapter.META_BASE_NAME, "base.gguf", LoraAdapter.META_BASE_DIGEST, "cd34"));
            Path dir = tmp.resolve("peft-" + c.architecture());
            PeftAdapters.write(a, dir, c);
            LoraAdapter back = PeftAdapters.read(dir, c);
            assertSamePairs(a, back);
            assertEquals("base.gguf", back.metadata().get(LoraAdapter.META_BASE_NAME));
            assertEquals("cd34", back.metadata().get(LoraAdapter.META_BASE_DIGEST));
            try (SafetensorsFile st = SafetensorsFile.open(dir.resolve(PeftAdapters.WEIGHTS))) {
                Tensor qb = st.tensor("base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight");
                Tensor gguf = a.pairs().get("blk.1.attn_q.weight").b();
                assertArrayEquals(floats(GgufLayout.toHfRows(c, "blk.1.attn_q.weight", gguf)), floats(qb),
                        "PEFT keeps B in Hugging Face's row order");
                boolean permuted = !java.util.Arrays.equals(floats(gguf), floats(qb));
                assertEquals(c.architecture().equals("llama"), permuted, "q rows are reordered for llama only");
            }
        }
    }

    @Test
    void peftPatternsCarryPerModuleRanksAndAlphas() throws Exception {
        LoraAdapter four = RandomAdapters.of(LLAMA, List.of("attn_q", "attn_v"), 4, 8, 0.5, 4);
        LoraAdapter eight = RandomAdapters.of(LLAMA, List.of("ffn_down"), 8, 32, 0.5, 5);
        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>(four.pairs());
        pairs.putAll(eight.pairs());
        LoraAdapter mixed = new LoraAdapter("llama", true, pairs, Map.of(), Map.of());
        Path dir = tmp.resolve("patterns");
        PeftAdapters.write(mixed, dir, LLAMA);
        JsonNode config = new ObjectMapper().readTree(dir.resolve(PeftAdapters.CONFIG).toFile());
        assertEquals(4, config.get("r").asInt());
        assertEquals(8, config.get("lora_alpha").asInt());
        assertTrue(config.get("use_rslora").asBoolean());
        assertEquals(8, config.get("rank_pattern").get("model.layers.1.mlp.down_proj").asInt());
        assertEquals(32, config.get("alpha_pattern").get("model.layers.0.mlp.down_proj").asInt());
        assertSamePairs(mixed, PeftAdapters.read(dir, LLAMA));
    }

    @Test
    void peftKeepsModulesToSaveWholeAndGgufRefusesThem() throws Exception {
        Tensor score = RandomModels.gaussian("score.weight", 0.1, 7, 0, 3, 64);
        LoraAdapter lora = RandomAdapters.of(LLAMA, List.of("attn_v"), 2, 4, 0.5, 6);
        LoraAdapter classify = new LoraAdapter("llama", false, lora.pairs(), Map.of("score.weight", score),
                Map.of(LoraAdapter.META_TASK, "classify"));
        Path dir = tmp.resolve("classify");
        PeftAdapters.write(classify, dir, LLAMA);
        JsonNode config = new ObjectMapper().readTree(dir.resolve(PeftAdapters.CONFIG).toFile());
        assertEquals("SEQ_CLS", config.get("task_type").asText());
        assertEquals("score", config.get("modules_to_save").get(0).asText());
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve(PeftAdapters.WEIGHTS))) {
            assertArrayEquals(new long[] {3, 64}, st.tensor("base_model.model.score.weight").shape());
        }
        LoraAdapter back = PeftAdapters.read(dir, LLAMA);
        assertArrayEquals(floats(score), floats(back.wholeTensors().get("score.weight")));
        assertEquals("classify", back.metadata().get(LoraAdapter.META_TASK));
        assertThrows(IllegalArgumentException.class, () -> LoraGguf.write(classify, tmp.resolve("c.gguf")));
    }

    @Test
    void peftWriteReplacesAnEarlierAdapterOnly() throws Exception {
        LoraAdapter a = RandomAdapters.of(LLAMA, List.of("attn_q"), 2, 4, 0.5, 8);
        Path dir = tmp.resolve("again");
        PeftAdapters.write(a, dir, LLAMA);
        PeftAdapters.write(a, dir, LLAMA);
        assertTrue(Files.isRegularFile(dir.resolve(PeftAdapters.PLINTH)));
        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("notes.txt"), "mine");
        assertThrows(java.nio.file.DirectoryNotEmptyException.class, () -> PeftAdapters.write(a, other, LLAMA));
        assertFalse(Files.exists(other.resolve(PeftAdapters.CONFIG)));
    }

    @Test
    void malformedAdaptersAreRefusedNamingFileAndTensor() throws Exception {
        LoraAdapter a = RandomAdapters.of(LLAMA, List.of("attn_q", "ffn_up"), 4, 8, 0.5, 9);
        Path dir = tmp.resolve("bad");
        PeftAdapters.write(a, dir, LLAMA);
        Path config = dir.resolve(PeftAdapters.CONFIG);
        String good = Files.readString(config);
        Files.writeString(config, good.replace("\"r\" : 4", "\"r\" : 8"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> PeftAdapters.read(dir, LLAMA));
        assertTrue(e.getMessage().contains("rank mismatch") && e.getMessage().contains("lora_A"), e.getMessage());
        Files.writeString(config, good.replace("\"LORA\"", "\"IA3\""));
        e = assertThrows(ModelFormatException.class, () -> PeftAdapters.read(dir, LLAMA));
        assertTrue(e.getMessage().contains("peft_type"), e.getMessage());
        Files.writeString(config, good.replace("\"alpha_pattern\" : { }", "\"alpha_pattern\" : {\"(.*.*.*.*.*.*.*.*.*.*)*z\": 1}"));
        e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
                () -> assertThrows(ModelFormatException.class, () -> PeftAdapters.read(dir, LLAMA)));
        assertTrue(e.getMessage().contains("not a usable regular expression"), e.getMessage());
        Files.writeString(config, good);
        DecoderConfig oneLayer = DecoderConfig.builder("llama").hiddenSize(64).ffnSize(96).layers(1).heads(4)
                .kvHeads(2).vocabSize(300).build();
        e = assertThrows(ModelFormatException.class, () -> PeftAdapters.read(dir, oneLayer));
        assertTrue(e.getMessage().contains("layers.1"), e.getMessage());

        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>(a.pairs());
        LoraAdapter.Pair q = pairs.get("blk.0.attn_q.weight");
        Tensor narrowB = RandomModels.gaussian("b", 0.1, 1, 1, q.outputs(), 3);
        Path f = tmp.resolve("mismatch.gguf");
        dev.plinth.io.gguf.GgufWriter w = new dev.plinth.io.gguf.GgufWriter()
                .put("general.type", dev.plinth.io.gguf.GgufValue.of("adapter"))
                .put("general.architecture", dev.plinth.io.gguf.GgufValue.of("llama"))
                .put("adapter.type", dev.plinth.io.gguf.GgufValue.of("lora"))
                .add(new Tensor("blk.0.attn_q.weight.lora_a", q.a().dtype(), q.a().shape(), q.a().data()))
                .add(new Tensor("blk.0.attn_q.weight.lora_b", narrowB.dtype(), narrowB.shape(), narrowB.data()))
                .add(new Tensor("blk.0.ffn_up.weight.lora_a", q.a().dtype(), q.a().shape(), q.a().data()));
        w.write(f);
        e = assertThrows(ModelFormatException.class, () -> LoraGguf.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("blk.0.attn_q.weight")
                && e.getMessage().contains("rank mismatch"), e.getMessage());
    }
}
